//! The port's calls on HubSpot's CRM endpoints.

use async_trait::async_trait;
use pc_platform::crm::{
    AccessToken, AuthorizeRequest, BatchOutcome, ContactUpsert, CrmClient, CrmError, DealContact,
    DealSearch, NewObject, NewPipeline, OAuthTokens, ObjectType, ObjectUpdate, Pipeline,
    RefreshToken, SearchPage, TokenInfo, check_batch_size, fake::modified_property,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{AUTHORIZE_URL, HubspotClient, Misconfigured, wire};

impl HubspotClient {
    async fn post(&self, token: &AccessToken, path: &str, body: &Value) -> Result<Value, CrmError> {
        self.json(Method::POST, path, token.expose(), Some(body))
            .await
    }
}

#[async_trait]
impl CrmClient for HubspotClient {
    fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> String {
        let mut url = url::Url::parse(AUTHORIZE_URL).expect("HubSpot's consent URL parses");
        url.query_pairs_mut()
            .append_pair("client_id", request.client_id)
            .append_pair("redirect_uri", request.redirect_uri)
            .append_pair("scope", request.scopes)
            .append_pair("state", request.state);
        url.into()
    }

    async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<OAuthTokens, CrmError> {
        self.exchange(code, redirect_uri).await
    }

    async fn refresh(&self, refresh_token: &RefreshToken) -> Result<OAuthTokens, CrmError> {
        self.refresh_tokens(refresh_token).await
    }

    async fn token_info(&self, token: &AccessToken) -> Result<TokenInfo, CrmError> {
        self.info(token).await
    }

    async fn list_pipelines(&self, token: &AccessToken) -> Result<Vec<Pipeline>, CrmError> {
        let body = self
            .json(Method::GET, "/crm/v3/pipelines/deals", token.expose(), None)
            .await?;
        Ok(body["results"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(wire::pipeline)
            .collect())
    }

    async fn create_pipeline(
        &self,
        token: &AccessToken,
        pipeline: &NewPipeline,
    ) -> Result<Pipeline, CrmError> {
        let stages: Vec<Value> = pipeline
            .stages
            .iter()
            .map(|s| {
                json!({"label": s.label, "displayOrder": s.display_order,
                    "metadata": {"probability": s.probability, "isClosed": s.is_closed.to_string()}})
            })
            .collect();
        let body = json!({"label": pipeline.label, "displayOrder": pipeline.display_order, "stages": stages});
        Ok(wire::pipeline(
            &self.post(token, "/crm/v3/pipelines/deals", &body).await?,
        ))
    }

    async fn batch_read(
        &self,
        token: &AccessToken,
        object_type: ObjectType,
        ids: &[String],
        properties: &[String],
    ) -> Result<BatchOutcome, CrmError> {
        check_batch_size(ids.len())?;
        let inputs: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
        let body = json!({"properties": properties, "propertiesWithHistory": [], "inputs": inputs});
        let path = format!("/crm/v3/objects/{}/batch/read", object_type.as_str());
        Ok(wire::batch(&self.post(token, &path, &body).await?))
    }

    async fn batch_create(
        &self,
        token: &AccessToken,
        object_type: ObjectType,
        inputs: &[NewObject],
    ) -> Result<BatchOutcome, CrmError> {
        check_batch_size(inputs.len())?;
        let inputs: Vec<Value> = inputs
            .iter()
            .map(|i| match &i.trace_id {
                Some(trace) => json!({"properties": i.properties, "objectWriteTraceId": trace}),
                None => json!({"properties": i.properties}),
            })
            .collect();
        let path = format!("/crm/v3/objects/{}/batch/create", object_type.as_str());
        Ok(wire::batch(
            &self.post(token, &path, &json!({"inputs": inputs})).await?,
        ))
    }

    async fn batch_update(
        &self,
        token: &AccessToken,
        object_type: ObjectType,
        inputs: &[ObjectUpdate],
    ) -> Result<BatchOutcome, CrmError> {
        check_batch_size(inputs.len())?;
        let inputs: Vec<Value> = inputs
            .iter()
            .map(|i| json!({"id": i.id, "properties": i.properties}))
            .collect();
        let path = format!("/crm/v3/objects/{}/batch/update", object_type.as_str());
        Ok(wire::batch(
            &self.post(token, &path, &json!({"inputs": inputs})).await?,
        ))
    }

    async fn batch_upsert_contacts(
        &self,
        token: &AccessToken,
        inputs: &[ContactUpsert],
    ) -> Result<BatchOutcome, CrmError> {
        check_batch_size(inputs.len())?;
        let inputs: Vec<Value> = inputs
            .iter()
            .map(|i| json!({"idProperty": "email", "id": i.email, "properties": i.properties}))
            .collect();
        let body = json!({"inputs": inputs});
        Ok(wire::batch(
            &self
                .post(token, "/crm/v3/objects/contacts/batch/upsert", &body)
                .await?,
        ))
    }

    async fn search_modified_since(
        &self,
        token: &AccessToken,
        object_type: ObjectType,
        since_millis: i64,
        properties: &[String],
        after: Option<&str>,
        limit: usize,
    ) -> Result<SearchPage, CrmError> {
        let modified = modified_property(object_type);
        let mut body = json!({
            "filterGroups": [{"filters": [{"propertyName": modified, "operator": "GTE", "value": since_millis.to_string()}]}],
            "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
            "properties": properties,
            "limit": limit.clamp(1, 100),
        });
        if let Some(after) = after {
            body["after"] = after.into();
        }
        let path = format!("/crm/v3/objects/{}/search", object_type.as_str());
        let answer = self.post(token, &path, &body).await?;
        Ok(SearchPage {
            total: answer["total"].as_u64().unwrap_or(0),
            results: wire::batch(&answer).results,
            after: answer["paging"]["next"]["after"]
                .as_str()
                .map(str::to_owned),
        })
    }

    async fn associate_deals_with_contacts(
        &self,
        token: &AccessToken,
        pairs: &[DealContact],
    ) -> Result<(), CrmError> {
        check_batch_size(pairs.len())?;
        if pairs.is_empty() {
            return Ok(());
        }
        let inputs: Vec<Value> = pairs
            .iter()
            .map(|p| json!({"from": {"id": p.deal_id}, "to": {"id": p.contact_id}}))
            .collect();
        let path = "/crm/v4/associations/deals/contacts/batch/associate/default";
        self.post(token, path, &json!({"inputs": inputs}))
            .await
            .map(|_| ())
    }

    async fn search_deals(
        &self,
        token: &AccessToken,
        search: &DealSearch,
    ) -> Result<SearchPage, CrmError> {
        let answer = self
            .post(
                token,
                "/crm/v3/objects/deals/search",
                &wire::deal_search(search),
            )
            .await?;
        Ok(wire::search_page(&answer))
    }

    async fn deal_contacts(
        &self,
        token: &AccessToken,
        deal_ids: &[String],
    ) -> Result<Vec<DealContact>, CrmError> {
        check_batch_size(deal_ids.len())?;
        let inputs: Vec<Value> = deal_ids.iter().map(|id| json!({"id": id})).collect();
        let path = "/crm/v4/associations/deals/contacts/batch/read";
        let answer = self.post(token, path, &json!({"inputs": inputs})).await?;
        let mut pairs = Vec::new();
        for result in answer["results"].as_array().cloned().unwrap_or_default() {
            let deal = match &result["from"]["id"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            for to in result["to"].as_array().cloned().unwrap_or_default() {
                pairs.push(DealContact {
                    deal_id: deal.clone(),
                    contact_id: to["toObjectId"].to_string().trim_matches('"').to_owned(),
                });
            }
        }
        Ok(pairs)
    }
}

#[async_trait]
impl CrmClient for Misconfigured {
    fn authorize_url(&self, _: &AuthorizeRequest<'_>) -> String {
        String::new()
    }
    async fn exchange_code(&self, _: &str, _: &str) -> Result<OAuthTokens, CrmError> {
        self.error()
    }
    async fn refresh(&self, _: &RefreshToken) -> Result<OAuthTokens, CrmError> {
        self.error()
    }
    async fn token_info(&self, _: &AccessToken) -> Result<TokenInfo, CrmError> {
        self.error()
    }
    async fn list_pipelines(&self, _: &AccessToken) -> Result<Vec<Pipeline>, CrmError> {
        self.error()
    }
    async fn create_pipeline(
        &self,
        _: &AccessToken,
        _: &NewPipeline,
    ) -> Result<Pipeline, CrmError> {
        self.error()
    }
    async fn batch_read(
        &self,
        _: &AccessToken,
        _: ObjectType,
        _: &[String],
        _: &[String],
    ) -> Result<BatchOutcome, CrmError> {
        self.error()
    }
    async fn batch_create(
        &self,
        _: &AccessToken,
        _: ObjectType,
        _: &[NewObject],
    ) -> Result<BatchOutcome, CrmError> {
        self.error()
    }
    async fn batch_update(
        &self,
        _: &AccessToken,
        _: ObjectType,
        _: &[ObjectUpdate],
    ) -> Result<BatchOutcome, CrmError> {
        self.error()
    }
    async fn batch_upsert_contacts(
        &self,
        _: &AccessToken,
        _: &[ContactUpsert],
    ) -> Result<BatchOutcome, CrmError> {
        self.error()
    }
    async fn search_modified_since(
        &self,
        _: &AccessToken,
        _: ObjectType,
        _: i64,
        _: &[String],
        _: Option<&str>,
        _: usize,
    ) -> Result<SearchPage, CrmError> {
        self.error()
    }
    async fn associate_deals_with_contacts(
        &self,
        _: &AccessToken,
        _: &[DealContact],
    ) -> Result<(), CrmError> {
        self.error()
    }
    async fn search_deals(&self, _: &AccessToken, _: &DealSearch) -> Result<SearchPage, CrmError> {
        self.error()
    }
    async fn deal_contacts(
        &self,
        _: &AccessToken,
        _: &[String],
    ) -> Result<Vec<DealContact>, CrmError> {
        self.error()
    }
}
