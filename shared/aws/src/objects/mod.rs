//! The S3 adapter of the object storage port: presigned PUT URLs (signed
//! locally with the function's credentials, no network call), and reads
//! that check the object's size before fetching its body.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use chrono::{DateTime, Utc};
use pc_platform::objects::{ObjectError, ObjectStore};

use crate::lazy_client::LazyClient;

pub struct S3Objects {
    client: LazyClient<Client>,
    bucket: String,
}

impl S3Objects {
    pub fn new(client: impl Into<LazyClient<Client>>, bucket: &str) -> Self {
        Self {
            client: client.into(),
            bucket: bucket.to_owned(),
        }
    }
}

fn backend(e: impl std::fmt::Display) -> ObjectError {
    ObjectError::Backend(e.to_string())
}

#[async_trait]
impl ObjectStore for S3Objects {
    async fn presign_put(
        &self,
        key: &str,
        content_type: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Result<String, ObjectError> {
        // S3 signs for at most a week; the clock may have been moved.
        let seconds = (expires_at - Utc::now()).num_seconds().clamp(1, 604_800) as u64;
        let presigning =
            PresigningConfig::expires_in(Duration::from_secs(seconds)).map_err(backend)?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .set_content_type(content_type.map(str::to_owned))
            .presigned(presigning)
            .await
            .map_err(backend)?;
        Ok(request.uri().to_owned())
    }

    async fn get(&self, key: &str, max_bytes: usize) -> Result<Option<Vec<u8>>, ObjectError> {
        let object = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(object) => object,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => {
                let text = aws_sdk_s3::error::DisplayErrorContext(&e).to_string();
                if text.contains("NoSuchKey") || text.contains("404") {
                    return Ok(None);
                }
                return Err(ObjectError::Backend(text));
            }
        };
        if object.content_length().unwrap_or(0) as u64 > max_bytes as u64 {
            return Err(ObjectError::TooLarge(max_bytes));
        }
        let bytes = object.body.collect().await.map_err(backend)?.into_bytes();
        if bytes.len() > max_bytes {
            return Err(ObjectError::TooLarge(max_bytes));
        }
        Ok(Some(bytes.to_vec()))
    }

    async fn delete(&self, key: &str) -> Result<(), ObjectError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| backend(aws_sdk_s3::error::DisplayErrorContext(&e)))?;
        Ok(())
    }
}
