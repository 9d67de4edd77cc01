"""The deploy preflight (infra/preflight.py) on deliberately oversized
templates: each quota it checks fails naming the stack, the quota and the
figure, and a deployment within every quota passes.

    python3 -m unittest discover -s infra -p 'preflight_test.py'
"""

import io
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import preflight  # noqa: E402

SAM = "AWS::Serverless-2016-10-31"


def function(**properties):
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": "../target/lambda/f/",
            "Handler": "bootstrap",
            "Runtime": "provided.al2023",
            **properties,
        },
    }


class Deployment:
    """A root template and nested stacks written to a temporary folder."""

    def __init__(self, root_resources, children=None, **root_sections):
        self.dir = tempfile.TemporaryDirectory()
        base = Path(self.dir.name)
        (base / "stacks").mkdir()
        resources = dict(root_resources)
        for name, (child, parameters) in (children or {}).items():
            (base / "stacks" / f"{name}.yaml").write_text(json.dumps(child))
            resources[f"{name.capitalize()}Stack"] = {
                "Type": "AWS::Serverless::Application",
                "Properties": {"Location": f"stacks/{name}.yaml", "Parameters": parameters},
            }
        root = {"Transform": SAM, "Resources": resources, **root_sections}
        self.root = base / "template.yaml"
        self.root.write_text(json.dumps(root))

    def failures(self):
        return preflight.check(self.root, out=io.StringIO())

    def close(self):
        self.dir.cleanup()


class PreflightTest(unittest.TestCase):
    def check(self, deployment, *expected):
        try:
            failures = deployment.failures()
        finally:
            deployment.close()
        self.assertEqual(len(failures), len(expected), failures)
        for failure, text in zip(failures, expected):
            self.assertIn(text, failure)

    def test_a_deployment_within_every_quota_passes(self):
        child = {"Transform": SAM, "Parameters": {"Api": {"Type": "String"}}, "Resources": {"F": function()}}
        self.check(Deployment({"Api": {"Type": "AWS::SNS::Topic"}}, {"small": (child, {"Api": {"Ref": "Api"}})}))

    def test_resources_are_counted_after_the_transform(self):
        # 230 functions are 460 resources once SAM adds each one's role.
        child = {"Transform": SAM, "Resources": {f"F{i}": function() for i in range(230)}}
        self.check(
            Deployment({}, {"big": (child, {})}),
            "stacks/big.yaml: resources after the SAM transform is 460, over the quota of 450",
        )

    def test_the_command_fails_naming_the_stack_the_quota_and_the_figure(self):
        child = {"Transform": SAM, "Resources": {f"F{i}": function() for i in range(230)}}
        deployment = Deployment({}, {"big": (child, {})})
        try:
            run = subprocess.run(
                [sys.executable, str(Path(preflight.__file__)), str(deployment.root)],
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            deployment.close()
        self.assertEqual(run.returncode, 1, run.stdout)
        self.assertIn(
            "QUOTA: stacks/big.yaml: resources after the SAM transform is 460, over the quota of 450",
            run.stderr,
        )

    def test_a_role_with_too_much_inline_policy(self):
        statement = {
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [f"arn:aws:sqs:us-east-1:123456789012:queue-{i:04}-{'x' * 60}" for i in range(120)],
        }
        resources = {"F": function(Policies=[{"Statement": [statement]}])}
        self.check(
            Deployment(resources),
            "template.yaml FRole: inline policy characters of the role (estimated) is",
        )

    def test_a_function_with_too_much_environment(self):
        variables = {f"SETTING_{i}": "v" * 100 for i in range(40)}
        resources = {"F": function(Environment={"Variables": variables})}
        failures_expected = "template.yaml F: environment bytes of the function (estimated) is"
        self.check(Deployment(resources), failures_expected)

    def test_an_api_with_too_many_routes_across_stacks(self):
        def routes(prefix, count):
            return {
                f"{prefix}{i}": {
                    "Type": "AWS::ApiGatewayV2::Route",
                    "Properties": {"ApiId": {"Ref": "Api"}, "RouteKey": f"GET /{prefix}{i}"},
                }
                for i in range(count)
            }

        def child(prefix, count):
            return ({"Parameters": {"Api": {"Type": "String"}}, "Resources": routes(prefix, count)}, {"Api": {"Ref": "HttpApi"}})

        root = {"HttpApi": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "HTTP"}}}
        self.check(
            Deployment(root, {"a": child("a", 200), "b": child("b", 101)}),
            "API template.yaml:HttpApi: routes is 301, over the quota of 300",
        )

    def test_a_nested_application_with_too_many_parameters(self):
        parameters = {f"P{i}": {"Type": "String"} for i in range(61)}
        child = {"Parameters": parameters, "Resources": {"T": {"Type": "AWS::SNS::Topic"}}}
        self.check(
            Deployment({}, {"wide": (child, {name: "x" for name in parameters})}),
            "WideStack (stacks/wide.yaml): parameters of the nested application is 61, over the quota of 60",
        )

    def test_too_many_outputs(self):
        outputs = {f"O{i}": {"Value": "x"} for i in range(201)}
        self.check(
            Deployment({"T": {"Type": "AWS::SNS::Topic"}}, Outputs=outputs),
            "template.yaml: outputs is 201, over the quota of 200",
        )

    def test_a_template_file_over_one_megabyte(self):
        metadata = {"Padding": "x" * (1024 * 1024)}
        self.check(
            Deployment({"T": {"Type": "AWS::SNS::Topic"}}, Metadata=metadata),
            "template.yaml: template file size (bytes) is",
            "template.yaml: expanded template size (bytes) is",
        )


if __name__ == "__main__":
    unittest.main()
