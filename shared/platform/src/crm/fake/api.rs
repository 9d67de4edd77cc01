//! The fake's answers to the port's calls, as HubSpot's API gives them:
//! each call (but the token endpoint) authenticates its access token,
//! counts against the portal's rate limit, then acts on the portal's
//! records. Batches over the limit are refused whole; inputs that cannot
//! apply (unknown id, stage outside the pipeline, email taken) are
//! failures beside the results, as HubSpot's `207 Multi-Status`.

use async_trait::async_trait;

use super::super::{
    AccessToken, AuthorizeRequest, BatchFailure, BatchOutcome, ContactUpsert, CrmClient, CrmError,
    CrmObject, DealContact, DealSearch, NewObject, NewPipeline, OAuthTokens, ObjectType,
    ObjectUpdate, Pipeline, PipelineStage, RefreshToken, SEARCH_MAX_RESULTS, SEARCH_PAGE_LIMIT,
    SearchPage, TokenInfo, check_batch_size,
};
use super::{CONSENT_PATH, FakeHubspot, SCOPES, oauth, portal, records};
use crate::store::Write;

fn failure(category: &str, message: String, input: &str) -> BatchFailure {
    BatchFailure {
        category: category.into(),
        message,
        inputs: vec![input.into()],
    }
}

/// Keeps the asked properties and HubSpot's defaults (all when none asked).
fn select(mut object: CrmObject, object_type: ObjectType, properties: &[String]) -> CrmObject {
    if !properties.is_empty() {
        let defaults = [
            "hs_object_id",
            "createdate",
            records::modified_property(object_type),
        ];
        object
            .properties
            .retain(|name, _| defaults.contains(&name.as_str()) || properties.contains(name));
    }
    object
}

impl FakeHubspot {
    /// Waits the latency, authenticates, counts the request: the portal.
    async fn enter(&self, token: &AccessToken) -> Result<String, CrmError> {
        let latency = self.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let now = self.now_millis();
        let grant = oauth::grant_of(&*self.store, token.expose(), "access", now).await?;
        portal::admit(&*self.store, &grant.portal_id, now).await?;
        Ok(grant.portal_id)
    }

    async fn create_one(
        &self,
        portal_id: &str,
        object_type: ObjectType,
        id: &str,
        input: &NewObject,
    ) -> Result<Result<CrmObject, BatchFailure>, CrmError> {
        let now = self.clock.now();
        let trace = input.trace_id.clone().unwrap_or_default();
        if object_type == ObjectType::Deals {
            let pipelines = records::pipelines(&*self.store, portal_id).await?;
            if let Some(why) = records::invalid_stage(&pipelines, &input.properties) {
                return Ok(Err(failure("VALIDATION_ERROR", why, &trace)));
            }
        }
        let mut object = records::new_object(object_type, id, input.properties.clone(), now);
        if !records::create(
            &*self.store,
            portal_id,
            object_type,
            &object,
            now.timestamp_millis(),
            Vec::new(),
        )
        .await?
        {
            let email = input.properties.get("email").cloned().unwrap_or_default();
            return Ok(Err(failure(
                "CONFLICT",
                format!("Contact already exists. Existing ID: {email}"),
                &trace,
            )));
        }
        object.trace_id = input.trace_id.clone();
        Ok(Ok(object))
    }

    async fn update_one(
        &self,
        portal_id: &str,
        object_type: ObjectType,
        input: &ObjectUpdate,
    ) -> Result<Result<CrmObject, BatchFailure>, CrmError> {
        if object_type == ObjectType::Deals {
            let pipelines = records::pipelines(&*self.store, portal_id).await?;
            if let Some(current) =
                records::load(&*self.store, portal_id, object_type, &input.id).await?
            {
                let mut merged = current.object.properties;
                merged.extend(input.properties.clone());
                if let Some(why) = records::invalid_stage(&pipelines, &merged) {
                    return Ok(Err(failure("VALIDATION_ERROR", why, &input.id)));
                }
            }
        }
        let now = self.clock.now();
        Ok(
            match records::update(
                &*self.store,
                portal_id,
                object_type,
                &input.id,
                &input.properties,
                now,
            )
            .await?
            {
                Some((object, _)) => Ok(object),
                None => Err(failure(
                    "OBJECT_NOT_FOUND",
                    format!("Object not found. objectId: {}", input.id),
                    &input.id,
                )),
            },
        )
    }
}

fn collect(outcomes: Vec<Result<CrmObject, BatchFailure>>) -> BatchOutcome {
    let mut batch = BatchOutcome::default();
    for outcome in outcomes {
        match outcome {
            Ok(object) => batch.results.push(object),
            Err(failure) => batch.failures.push(failure),
        }
    }
    batch
}

#[async_trait]
impl CrmClient for FakeHubspot {
    fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> String {
        let mut url = url::Url::parse(&format!("{}{CONSENT_PATH}", self.consent_origin))
            .expect("the consent origin is a URL");
        url.query_pairs_mut()
            .append_pair("client_id", request.client_id)
            .append_pair("redirect_uri", request.redirect_uri)
            .append_pair("scope", request.scopes)
            .append_pair("state", request.state);
        url.into()
    }

    async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<OAuthTokens, CrmError> {
        let now = self.now_millis();
        let portal_id = oauth::redeem_code(&*self.store, code, redirect_uri, now).await?;
        oauth::issue_tokens(&*self.store, &portal_id, None, now).await
    }

    async fn refresh(&self, refresh_token: &RefreshToken) -> Result<OAuthTokens, CrmError> {
        let now = self.now_millis();
        let grant = oauth::grant_of(&*self.store, refresh_token.expose(), "refresh", now).await?;
        oauth::issue_tokens(&*self.store, &grant.portal_id, Some(refresh_token), now).await
    }

    async fn token_info(&self, token: &AccessToken) -> Result<TokenInfo, CrmError> {
        let now = self.now_millis();
        let grant = oauth::grant_of(&*self.store, token.expose(), "access", now).await?;
        Ok(TokenInfo {
            portal_id: grant.portal_id,
            scopes: SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            expires_in_seconds: (grant.expires_at.unwrap_or(now) - now) / 1000,
            hub_domain: None,
        })
    }

    async fn list_pipelines(&self, token: &AccessToken) -> Result<Vec<Pipeline>, CrmError> {
        let portal_id = self.enter(token).await?;
        records::pipelines(&*self.store, &portal_id).await
    }

    async fn create_pipeline(
        &self,
        token: &AccessToken,
        pipeline: &NewPipeline,
    ) -> Result<Pipeline, CrmError> {
        let portal_id = self.enter(token).await?;
        let existing = records::pipelines(&*self.store, &portal_id).await?;
        if existing.iter().any(|p| p.label == pipeline.label) {
            return Err(CrmError::Refused(format!(
                "A pipeline with label {} already exists",
                pipeline.label
            )));
        }
        let ids = portal::reserve_ids(&*self.store, &portal_id, pipeline.stages.len() + 1).await?;
        let created = Pipeline {
            id: ids[0].clone(),
            label: pipeline.label.clone(),
            stages: pipeline
                .stages
                .iter()
                .zip(&ids[1..])
                .map(|(stage, id)| PipelineStage {
                    id: id.clone(),
                    label: stage.label.clone(),
                    display_order: stage.display_order,
                    probability: Some(stage.probability.clone()),
                    is_closed: stage.is_closed,
                })
                .collect(),
        };
        self.store
            .transact(vec![records::pipeline_write(&portal_id, &created)])
            .await
            .map_err(portal::unavailable)?;
        Ok(created)
    }

    async fn batch_read(
        &self,
        token: &AccessToken,
        object_type: ObjectType,
        ids: &[String],
        properties: &[String],
    ) -> Result<BatchOutcome, CrmError> {
        check_batch_size(ids.len())?;
        let portal_id = self.enter(token).await?;
        let mut outcomes = Vec::new();
        for id in ids {
            outcomes.push(
                match records::load(&*self.store, &portal_id, object_type, id).await? {
                    Some(stored) => Ok(select(stored.object, object_type, properties)),
                    None => Err(failure(
                        "OBJECT_NOT_FOUND",
                        format!("Object not found. objectId: {id}"),
                        id,
                    )),
                },
            );
        }
        Ok(collect(outcomes))
    }

    async fn batch_create(
        &self,
        token: &AccessToken,
        object_type: ObjectType,
        inputs: &[NewObject],
    ) -> Result<BatchOutcome, CrmError> {
        check_batch_size(inputs.len())?;
        let portal_id = self.enter(token).await?;
        let ids = portal::reserve_ids(&*self.store, &portal_id, inputs.len()).await?;
        let mut outcomes = Vec::new();
        for (input, id) in inputs.iter().zip(&ids) {
            outcomes.push(self.create_one(&portal_id, object_type, id, input).await?);
        }
        Ok(collect(outcomes))
    }

    async fn batch_update(
        &self,
        token: &AccessToken,
        object_type: ObjectType,
        inputs: &[ObjectUpdate],
    ) -> Result<BatchOutcome, CrmError> {
        check_batch_size(inputs.len())?;
        let portal_id = self.enter(token).await?;
        let mut outcomes = Vec::new();
        for input in inputs {
            outcomes.push(self.update_one(&portal_id, object_type, input).await?);
        }
        Ok(collect(outcomes))
    }

    async fn batch_upsert_contacts(
        &self,
        token: &AccessToken,
        inputs: &[ContactUpsert],
    ) -> Result<BatchOutcome, CrmError> {
        check_batch_size(inputs.len())?;
        let portal_id = self.enter(token).await?;
        let mut outcomes = Vec::new();
        for input in inputs {
            let mut properties = input.properties.clone();
            properties.insert("email".into(), input.email.trim().to_lowercase());
            // Created unless the email is taken, then updated: a race with
            // another creation of the same email ends in an update too.
            let mut outcome = None;
            for _ in 0..3 {
                if let Some(id) =
                    records::contact_by_email(&*self.store, &portal_id, &input.email).await?
                {
                    let update = ObjectUpdate {
                        id,
                        properties: properties.clone(),
                    };
                    outcome = Some(
                        self.update_one(&portal_id, ObjectType::Contacts, &update)
                            .await?,
                    );
                    break;
                }
                let id = portal::reserve_ids(&*self.store, &portal_id, 1)
                    .await?
                    .remove(0);
                let new = NewObject {
                    properties: properties.clone(),
                    trace_id: None,
                };
                if let Ok(object) = self
                    .create_one(&portal_id, ObjectType::Contacts, &id, &new)
                    .await?
                {
                    outcome = Some(Ok(object));
                    break;
                }
            }
            outcomes.push(outcome.unwrap_or_else(|| {
                Err(failure(
                    "CONFLICT",
                    "the contact changed during the upsert".into(),
                    &input.email,
                ))
            }));
        }
        Ok(collect(outcomes))
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
        let portal_id = self.enter(token).await?;
        let (objects, after) = records::changed_since(
            &*self.store,
            &portal_id,
            object_type,
            since_millis,
            after,
            limit.clamp(1, 100),
        )
        .await?;
        Ok(SearchPage {
            // HubSpot's total is not read of this search (the sync pages
            // until `after` runs out); the fake does not count it.
            total: 0,
            results: objects
                .into_iter()
                .map(|o| select(o, object_type, properties))
                .collect(),
            after,
        })
    }

    async fn search_deals(
        &self,
        token: &AccessToken,
        search: &DealSearch,
    ) -> Result<SearchPage, CrmError> {
        let portal_id = self.enter(token).await?;
        portal::admit_search(
            &*self.store,
            &portal_id,
            crate::clock::wire_now().timestamp_millis(),
        )
        .await?;
        if search.limit == 0 || search.limit > SEARCH_PAGE_LIMIT {
            return Err(CrmError::Refused(format!(
                "limit must be 1 to {SEARCH_PAGE_LIMIT}, not {}",
                search.limit
            )));
        }
        let offset: u64 = match &search.after {
            None => 0,
            Some(after) => after
                .parse()
                .map_err(|_| CrmError::Refused(format!("after {after:?} is not a number")))?,
        };
        // HubSpot's own answer to paging past its cap: 400.
        if offset >= SEARCH_MAX_RESULTS {
            return Err(CrmError::Refused(format!(
                "VALIDATION_ERROR: the search API returns at most {SEARCH_MAX_RESULTS} results for a query; after={offset}"
            )));
        }
        let matching: Vec<CrmObject> = records::deals_changed_in(
            &*self.store,
            &portal_id,
            search.modified_from,
            search.modified_before,
        )
        .await?
        .into_iter()
        .filter(|deal| {
            deal.properties
                .get("dealstage")
                .is_some_and(|stage| search.stage_operator.matches(&search.stage_ids, stage))
        })
        .collect();
        let total = matching.len() as u64;
        let results: Vec<CrmObject> = matching
            .into_iter()
            .skip(offset as usize)
            .take(search.limit)
            .map(|o| select(o, ObjectType::Deals, &search.properties))
            .collect();
        let next = offset + results.len() as u64;
        Ok(SearchPage {
            total,
            results,
            after: (next < total).then(|| next.to_string()),
        })
    }

    async fn associate_deals_with_contacts(
        &self,
        token: &AccessToken,
        pairs: &[DealContact],
    ) -> Result<(), CrmError> {
        check_batch_size(pairs.len())?;
        let portal_id = self.enter(token).await?;
        let writes: Vec<Write> = pairs
            .iter()
            .map(|pair| records::association_write(&portal_id, pair))
            .collect();
        if writes.is_empty() {
            return Ok(());
        }
        self.store
            .transact(writes)
            .await
            .map_err(portal::unavailable)
    }

    async fn deal_contacts(
        &self,
        token: &AccessToken,
        deal_ids: &[String],
    ) -> Result<Vec<DealContact>, CrmError> {
        check_batch_size(deal_ids.len())?;
        let portal_id = self.enter(token).await?;
        let mut pairs = Vec::new();
        for deal_id in deal_ids {
            pairs.extend(records::associations(&*self.store, &portal_id, Some(deal_id)).await?);
        }
        Ok(pairs)
    }

    fn fake(&self) -> Option<&FakeHubspot> {
        Some(self)
    }
}
