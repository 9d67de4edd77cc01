//! The public partner API's records of the samples: an API token of the
//! sample partner, made by its admin (`{{PARTNER_API_TOKEN}}`, the bearer
//! of the `/api/v1/...` samples, and `{{PARTNER_API_TOKEN_ID}}`), and a
//! status request made with it (`{{PARTNER_API_REQUEST_ID}}`).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use serde_json::{Value, json};

use super::call;

/// The token, its id and a request, as placeholder values.
pub async fn build(
    app: &Router,
    partner_admin: &str,
    partner_id: &str,
    lead_id: &str,
) -> Result<Vec<(&'static str, String)>, String> {
    let path = format!("/v1/partners/{partner_id}/api-tokens");
    let (created, _) = call(
        app,
        "POST",
        &path,
        Some(partner_admin),
        Some(json!({"name": "Sample CRM"})),
    )
    .await?;
    let text = |body: &Value, field: &str| {
        body[field]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no {field} in {body}"))
    };
    let token = text(&created, "token")?;
    let token_id = text(&created, "id")?;
    let change = json!({"leadId": lead_id, "status": "in_touch"});
    let request = Request::builder()
        .method("POST")
        .uri("/api/v1/status")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(change.to_string()))
        .map_err(|e| e.to_string())?;
    let (status, accepted, _) = super::send(app, request).await?;
    if status.as_u16() != 202 {
        return Err(format!("POST /api/v1/status answered {status}: {accepted}"));
    }
    Ok(vec![
        ("PARTNER_API_TOKEN_ID", token_id),
        ("PARTNER_API_TOKEN", token),
        ("PARTNER_API_REQUEST_ID", text(&accepted, "requestId")?),
    ])
}
