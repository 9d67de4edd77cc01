//! The deal pipeline of a lead and the transitions it allows, and where a
//! lead came from.
//!
//! Allowed status changes (anything else is a 409 `invalid_transition`):
//!
//! | from | to |
//! |---|---|
//! | `new` | `scheduled`, `in_touch`, `won`, any `lost_*` |
//! | `scheduled` | `in_touch`, `won`, any `lost_*` |
//! | `in_touch` | `scheduled`, `won`, any `lost_*` |
//! | any `lost_*` | `in_touch` (reopened), another `lost_*` (reason corrected) |
//! | `won` | nothing: a won deal is final |
//!
//! Setting the status a lead already has is no change and always allowed.
//! Nothing goes back to `new`: a lead that has been worked on stays worked on.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a lead is in the sales pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    New,
    Scheduled,
    InTouch,
    Won,
    LostNoShow,
    LostDisqualified,
    LostNoPotential,
}

impl DealStatus {
    pub const ALL: [DealStatus; 7] = [
        DealStatus::New,
        DealStatus::Scheduled,
        DealStatus::InTouch,
        DealStatus::Won,
        DealStatus::LostNoShow,
        DealStatus::LostDisqualified,
        DealStatus::LostNoPotential,
    ];

    /// The names of every status, as the API writes them.
    pub const NAMES: [&'static str; 7] = [
        "new",
        "scheduled",
        "in_touch",
        "won",
        "lost_no_show",
        "lost_disqualified",
        "lost_no_potential",
    ];

    /// The statuses that end a deal (won or lost): such leads are never overdue.
    pub const CLOSED_NAMES: [&'static str; 4] = [
        "won",
        "lost_no_show",
        "lost_disqualified",
        "lost_no_potential",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DealStatus::New => "new",
            DealStatus::Scheduled => "scheduled",
            DealStatus::InTouch => "in_touch",
            DealStatus::Won => "won",
            DealStatus::LostNoShow => "lost_no_show",
            DealStatus::LostDisqualified => "lost_disqualified",
            DealStatus::LostNoPotential => "lost_no_potential",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_lost(self) -> bool {
        matches!(
            self,
            DealStatus::LostNoShow | DealStatus::LostDisqualified | DealStatus::LostNoPotential
        )
    }

    /// Won or lost: the deal is over.
    pub fn is_closed(self) -> bool {
        self == DealStatus::Won || self.is_lost()
    }

    /// `to`, when a lead in this status may move there.
    pub fn transition(self, to: DealStatus) -> Result<DealStatus, TransitionRefused> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(TransitionRefused { from: self, to })
        }
    }

    /// Whether a lead in this status may be moved to `to` (see the module table).
    pub fn can_become(self, to: DealStatus) -> bool {
        if self == to {
            return true;
        }
        match self {
            DealStatus::New => to != DealStatus::New,
            DealStatus::Scheduled | DealStatus::InTouch => to != DealStatus::New && to != self,
            DealStatus::Won => false,
            _ => to == DealStatus::InTouch || to.is_lost(),
        }
    }
}

/// A status change the pipeline does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a {} lead cannot become {}", from.as_str(), to.as_str())]
pub struct TransitionRefused {
    pub from: DealStatus,
    pub to: DealStatus,
}

/// Where a lead came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeadSource {
    Chilipiper,
    Hubspot,
    Import,
    Manual,
    PartnerApi,
    Marketplace,
    /// Referred by a referral partner through its portal.
    PartnerReferral,
}

impl LeadSource {
    pub const ALL: [LeadSource; 7] = [
        LeadSource::Chilipiper,
        LeadSource::Hubspot,
        LeadSource::Import,
        LeadSource::Manual,
        LeadSource::PartnerApi,
        LeadSource::Marketplace,
        LeadSource::PartnerReferral,
    ];

    pub const NAMES: [&'static str; 7] = [
        "chilipiper",
        "hubspot",
        "import",
        "manual",
        "partner_api",
        "marketplace",
        "partner_referral",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadSource::Chilipiper => "chilipiper",
            LeadSource::Hubspot => "hubspot",
            LeadSource::Import => "import",
            LeadSource::Manual => "manual",
            LeadSource::PartnerApi => "partner_api",
            LeadSource::Marketplace => "marketplace",
            LeadSource::PartnerReferral => "partner_referral",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (status, name) in DealStatus::ALL.into_iter().zip(DealStatus::NAMES) {
            assert_eq!(status.as_str(), name);
            assert_eq!(DealStatus::parse(name), Some(status));
            assert_eq!(serde_json::to_value(status).unwrap(), name);
        }
        assert_eq!(DealStatus::parse("lost"), None);
        for (source, name) in LeadSource::ALL.into_iter().zip(LeadSource::NAMES) {
            assert_eq!(source.as_str(), name);
            assert_eq!(LeadSource::parse(name), Some(source));
            assert_eq!(serde_json::to_value(source).unwrap(), name);
        }
    }

    #[test]
    fn transitions_follow_the_table() {
        use DealStatus::*;
        assert!(New.can_become(Scheduled) && New.can_become(LostNoShow) && New.can_become(Won));
        assert!(Scheduled.can_become(InTouch) && InTouch.can_become(Scheduled));
        assert!(!Scheduled.can_become(New) && !InTouch.can_become(New));
        assert!(!Won.can_become(InTouch) && !Won.can_become(LostNoShow) && Won.can_become(Won));
        assert!(LostNoShow.can_become(InTouch) && LostNoShow.can_become(LostDisqualified));
        assert!(!LostNoShow.can_become(Won) && !LostNoShow.can_become(Scheduled));
        let closed: Vec<_> = DealStatus::ALL
            .into_iter()
            .filter(|s| s.is_closed())
            .map(DealStatus::as_str)
            .collect();
        assert_eq!(closed, DealStatus::CLOSED_NAMES);
    }
}
