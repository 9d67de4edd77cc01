//! The email port on SES (`SendEmail`, text and HTML bodies). SES's
//! throttling (including "Maximum sending rate exceeded") answers
//! [`EmailError::Throttled`] so the email worker retries later; a refused
//! message answers [`EmailError::Rejected`], which retrying will not change.

use async_trait::async_trait;
use aws_sdk_ses::Client;
use aws_sdk_ses::types::{Body, Content, Destination, Message};
use pc_platform::email::{EmailError, EmailSender, OutgoingEmail};

use crate::lazy_client::LazyClient;
use crate::sdk_error::{Failure, THROTTLING_CODES, failure};

const CHARSET: &str = "UTF-8";

/// Error codes for which sending the same message again cannot succeed.
const REJECTED_CODES: &[&str] = &[
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "MailFromDomainNotVerified",
    "InvalidParameterValue",
    "ConfigurationSetDoesNotExist",
];

/// Sends email through SES.
#[derive(Clone, Debug)]
pub struct SesEmail {
    client: LazyClient<Client>,
}

fn content(data: &str) -> Result<Content, EmailError> {
    Content::builder()
        .data(data)
        .charset(CHARSET)
        .build()
        .map_err(|e| EmailError::Backend(e.to_string()))
}

/// Maps a failed send to the port's error.
fn email_error(failure: &Failure) -> EmailError {
    let rate = failure.message.to_lowercase();
    if failure.code_is(THROTTLING_CODES) || rate.contains("maximum sending rate") {
        EmailError::Throttled
    } else if failure.code_is(REJECTED_CODES) {
        EmailError::Rejected(failure.message.clone())
    } else {
        EmailError::Backend(failure.to_string())
    }
}

impl SesEmail {
    pub fn new(client: impl Into<LazyClient<Client>>) -> Self {
        Self {
            client: client.into(),
        }
    }
}

#[async_trait]
impl EmailSender for SesEmail {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, EmailError> {
        let mut body = Body::builder().text(content(&email.text)?);
        if !email.html.is_empty() {
            body = body.html(content(&email.html)?);
        }
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(body.build())
            .build();
        let output = self
            .client
            .send_email()
            .source(&email.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .message(message)
            .send()
            .await
            .map_err(|e| email_error(&failure(&e)))?;
        Ok(output.message_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(code: &str, message: &str) -> Failure {
        Failure {
            code: Some(code.into()),
            message: message.into(),
        }
    }

    #[test]
    fn errors_map_to_the_port() {
        assert_eq!(
            email_error(&f("Throttling", "Maximum sending rate exceeded.")),
            EmailError::Throttled
        );
        assert_eq!(
            email_error(&f("Other", "Maximum sending rate exceeded.")),
            EmailError::Throttled
        );
        assert_eq!(
            email_error(&f("MessageRejected", "Email address is not verified.")),
            EmailError::Rejected("Email address is not verified.".into())
        );
        assert!(matches!(
            email_error(&f("InternalFailure", "x")),
            EmailError::Backend(_)
        ));
        let offline = Failure {
            code: None,
            message: "dispatch failure".into(),
        };
        assert!(matches!(email_error(&offline), EmailError::Backend(_)));
    }
}
