#!/usr/bin/env python3
"""Deploy preflight: expands every stack of the deployment offline with the
SAM translator (the code `sam deploy` runs through CloudFormation's
transform) and checks the quotas CloudFormation, IAM, Lambda and API Gateway
enforce only when a deploy is already under way.

    python3 infra/preflight.py [template.yaml]

The stacks are the root template and every nested application or stack it
names by a local path, recursively. Each check prints the stack, the quota
and the figure; any figure over its quota makes the exit status 1.

Values known only at deploy time (parameters, resource attributes, secrets)
are counted at a fixed, generous length (UNKNOWN_LENGTH), so the policy and
environment sizes are estimates on the safe side, not exact figures.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# Quotas. CloudFormation refuses a stack of more than 500 resources; 450
# leaves room to grow before a deploy fails.
MAX_RESOURCES = 450
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200
MAX_MAPPINGS = 200
# A template given through S3 (what `sam deploy` uploads), and the
# processed template after the transform.
MAX_TEMPLATE_BYTES = 1024 * 1024
# SAM: a nested application takes at most 60 parameters.
MAX_APPLICATION_PARAMETERS = 60
# IAM: the inline policies of one role together, whitespace not counted.
MAX_ROLE_POLICY_CHARS = 10240
# Lambda: all environment variables of a function, keys and values.
MAX_ENVIRONMENT_BYTES = 4 * 1024
# API Gateway: routes (and integrations) per API, the default quota.
MAX_ROUTES_PER_API = 300
MAX_INTEGRATIONS_PER_API = 300

# The length a value unknown before the deploy is counted at: longer than
# any ARN, name, URL or setting the template passes around.
UNKNOWN_LENGTH = 128
PSEUDO_PARAMETERS = {
    "AWS::Region": "ap-southeast-2",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws-us-gov",
    "AWS::URLSuffix": "amazonaws.com.cn",
    "AWS::StackName": "x" * UNKNOWN_LENGTH,
    "AWS::StackId": "x" * UNKNOWN_LENGTH,
    "AWS::NoValue": "",
}
UNKNOWN = "x" * UNKNOWN_LENGTH


@dataclass
class Stack:
    path: Path
    source: dict
    expanded: dict = field(default_factory=dict)
    # For a nested stack: what its parent passes for each parameter.
    passed: dict = field(default_factory=dict)
    parent: "Stack | None" = None


def load(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def is_local(location) -> bool:
    return isinstance(location, str) and not re.match(r"^(https?|s3)://", location)


def nested_locations(template: dict):
    """(logical id, location, parameters) of each nested application or
    stack named by a local path."""
    for logical_id, resource in (template.get("Resources") or {}).items():
        properties = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Application":
            location = properties.get("Location")
        elif kind == "AWS::CloudFormation::Stack":
            location = properties.get("TemplateURL")
        else:
            continue
        if is_local(location):
            yield logical_id, location, properties.get("Parameters") or {}


def discover(root: Path) -> list[Stack]:
    stacks = [Stack(root, load(root))]
    index = 0
    while index < len(stacks):
        stack = stacks[index]
        for _, location, parameters in nested_locations(stack.source):
            child = (stack.path.parent / location).resolve()
            stacks.append(Stack(child, load(child), passed=parameters, parent=stack))
        index += 1
    return stacks


def packaged(template: dict) -> dict:
    """The template as `sam package` hands it over: local code and nested
    templates replaced by S3 locations."""
    template = json.loads(json.dumps(template))
    for resource in (template.get("Resources") or {}).values():
        properties = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
            properties["CodeUri"] = "s3://artifacts/code.zip"
        elif kind == "AWS::Serverless::Application" and is_local(properties.get("Location")):
            properties["Location"] = "https://s3.amazonaws.com/artifacts/nested.template"
        elif kind == "AWS::CloudFormation::Stack" and is_local(properties.get("TemplateURL")):
            properties["TemplateURL"] = "https://s3.amazonaws.com/artifacts/nested.template"
    return template


def expand(template: dict) -> dict:
    """The template after the SAM transform (as CloudFormation runs it)."""
    if "Transform" not in template:
        return template
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    # The translator's own metrics are for its service, not for us.
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    return Translator(None, Parser()).translate(
        sam_template=packaged(template),
        parameter_values={},
        get_managed_policy_map=lambda: {},
    )


def render(value) -> str | list | dict:
    """The value with every intrinsic function replaced by a string of the
    length it may have once deployed (estimated)."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return PSEUDO_PARAMETERS.get(argument, UNKNOWN)
            if key == "Fn::Sub":
                text = argument[0] if isinstance(argument, list) else argument
                return sub_length(text)
            if key == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
                parts = argument[1] if isinstance(argument[1], list) else [argument[1]]
                return str(argument[0]).join(str(render(p)) for p in parts)
            if key == "Fn::If" and isinstance(argument, list) and len(argument) == 3:
                branches = [render(argument[1]), render(argument[2])]
                return max(branches, key=lambda b: len(json.dumps(b)))
            if key.startswith("Fn::"):
                return UNKNOWN
        return {k: render(v) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v) for v in value]
    if isinstance(value, str):
        # A dynamic reference resolves to a value unknown here.
        return re.sub(r"\{\{resolve:[^}]*\}\}", UNKNOWN, value)
    return value


def sub_length(text: str) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        return PSEUDO_PARAMETERS.get(name, UNKNOWN)

    return str(render(re.sub(r"\$\{([^}]*)\}", replace, text)))


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def referenced(value, stack: Stack) -> str:
    """The root-stack logical id a `Ref` names, following nested stacks'
    parameters up to where the value comes from."""
    if isinstance(value, dict) and "Ref" in value:
        name = value["Ref"]
        if stack.parent is not None and name in stack.passed:
            return referenced(stack.passed[name], stack.parent)
        return f"{stack.path.name}:{name}"
    return compact(value)


class Report:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(self, stack: str, what: str, figure: int, quota: int) -> str:
        if figure > quota:
            self.failures.append(f"{stack}: {what} is {figure}, over the quota of {quota}")
        return f"{figure}/{quota}"


def check(root: Path, out=sys.stdout) -> list[str]:
    report = Report()
    stacks = discover(root)
    base = root.parent
    routes: dict[str, int] = {}
    integrations: dict[str, int] = {}
    rows = []
    for stack in stacks:
        name = os.path.relpath(stack.path, base)
        size = stack.path.stat().st_size
        try:
            stack.expanded = expand(stack.source)
        except Exception as error:  # the translator's refusal, named
            report.failures.append(f"{name}: the SAM transform refuses it: {error}")
            continue
        expanded = stack.expanded
        resources = expanded.get("Resources") or {}
        row = [
            name,
            report.check(name, "resources after the SAM transform", len(resources), MAX_RESOURCES),
            report.check(name, "parameters", len(expanded.get("Parameters") or {}), MAX_PARAMETERS),
            report.check(name, "outputs", len(expanded.get("Outputs") or {}), MAX_OUTPUTS),
            report.check(name, "mappings", len(expanded.get("Mappings") or {}), MAX_MAPPINGS),
            report.check(name, "template file size (bytes)", size, MAX_TEMPLATE_BYTES),
            report.check(
                name,
                "expanded template size (bytes)",
                len(compact(expanded).encode()),
                MAX_TEMPLATE_BYTES,
            ),
        ]
        rows.append(row)
        for logical_id, location, parameters in nested_locations(stack.source):
            report.check(
                f"{name} {logical_id} ({location})",
                "parameters of the nested application",
                len(parameters),
                MAX_APPLICATION_PARAMETERS,
            )
        for logical_id, resource in resources.items():
            properties = resource.get("Properties") or {}
            kind = resource.get("Type")
            if kind == "AWS::IAM::Role":
                chars = sum(
                    len(compact(render(p.get("PolicyDocument", {}))))
                    for p in properties.get("Policies") or []
                )
                report.check(
                    f"{name} {logical_id}",
                    "inline policy characters of the role (estimated)",
                    chars,
                    MAX_ROLE_POLICY_CHARS,
                )
            elif kind == "AWS::Lambda::Function":
                variables = (properties.get("Environment") or {}).get("Variables") or {}
                variables = render(variables)
                env = sum(len(k.encode()) + len(str(v).encode()) for k, v in variables.items())
                report.check(
                    f"{name} {logical_id}",
                    "environment bytes of the function (estimated)",
                    env,
                    MAX_ENVIRONMENT_BYTES,
                )
            elif kind == "AWS::ApiGatewayV2::Route":
                api = referenced(properties.get("ApiId"), stack)
                routes[api] = routes.get(api, 0) + 1
            elif kind == "AWS::ApiGatewayV2::Integration":
                api = referenced(properties.get("ApiId"), stack)
                integrations[api] = integrations.get(api, 0) + 1
            elif kind == "AWS::ApiGatewayV2::Api":
                # Routes of an API defined by its OpenAPI body (SAM's HttpApi events).
                paths = (properties.get("Body") or {}).get("paths") or {}
                count = sum(len(methods) for methods in paths.values())
                if count:
                    api = f"{stack.path.name}:{logical_id}"
                    routes[api] = routes.get(api, 0) + count
    for api, count in sorted(routes.items()):
        report.check(f"API {api}", "routes", count, MAX_ROUTES_PER_API)
    for api, count in sorted(integrations.items()):
        report.check(f"API {api}", "integrations", count, MAX_INTEGRATIONS_PER_API)

    header = ["stack", "resources", "parameters", "outputs", "mappings", "file bytes", "expanded bytes"]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)), file=out)
    for api, count in sorted(routes.items()):
        print(f"routes of {api}: {count}/{MAX_ROUTES_PER_API}", file=out)
    return report.failures


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "template.yaml")
    failures = check(root)
    for failure in failures:
        print(f"QUOTA: {failure}", file=sys.stderr)
    if failures:
        print(f"preflight: {len(failures)} quota(s) exceeded; CloudFormation would refuse the deploy", file=sys.stderr)
        return 1
    print("preflight: every stack within its quotas")
    return 0


if __name__ == "__main__":
    sys.exit(main())
