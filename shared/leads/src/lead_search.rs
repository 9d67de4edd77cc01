//! What the lead list's `search` matches, in one place for the index
//! writer and the reader.
//!
//! A lead is found by its words: the letters-and-digits runs of its first
//! name, last name, company and email, lowercased (`Ann-Marie O'Neil`,
//! `ann.lee@acme.example` → `ann`, `marie`, `o`, `neil`, `ann`, `lee`,
//! `acme`, `example`). A search text is split the same way and matches a
//! lead when every one of its words is the start of one of the lead's
//! words: "Ann Lee" finds Ann Lee, "ann" finds Annabel, "acme wid" finds
//! a lead at Acme Widgets. A search that is a whole email address finds
//! the leads with exactly that email.
//!
//! The words are indexed by search entries written in the same transaction
//! as the lead (see `leads_store`), so a search reads only the entries of
//! one of its words (its rarest), never a partition of leads.

use crate::lead::{LeadEmail, LeadRecord};

/// Most words of one lead that are indexed (the first ones, in field
/// order). A lead write rewrites its entries in its own transaction, whose
/// size this bounds; contact fields of real leads stay far below it.
pub const MAX_WORDS: usize = 40;

/// Longest indexed word, in characters (a key has at most 1,024 bytes).
/// Longer words are indexed by their start; the reader compares whole words.
pub const MAX_WORD_CHARS: usize = 64;

/// The words of a text: letters-and-digits runs, lowercased.
pub fn words_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// The words a lead is found by, each once, at most [`MAX_WORDS`].
pub fn lead_words(lead: &LeadRecord) -> Vec<String> {
    let c = &lead.contact;
    let fields = [
        c.first_name.as_deref(),
        c.last_name.as_deref(),
        c.company.as_deref(),
        Some(lead.email.as_str()),
    ];
    let mut words: Vec<String> = Vec::new();
    for word in fields.into_iter().flatten().flat_map(words_of) {
        if words.len() == MAX_WORDS {
            break;
        }
        if !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

/// A word as its index key holds it: at most [`MAX_WORD_CHARS`] characters.
pub fn indexed_word(word: &str) -> &str {
    match word.char_indices().nth(MAX_WORD_CHARS) {
        Some((end, _)) => &word[..end],
        None => word,
    }
}

/// A parsed `search` text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeadSearch {
    /// A whole email address: the leads with exactly this email.
    Email(LeadEmail),
    /// Word starts, each of which must start a word of the lead (empty when
    /// the text has no letters or digits: nothing matches).
    Words(Vec<String>),
}

impl LeadSearch {
    pub fn parse(text: &str) -> Self {
        if text.contains('@')
            && let Ok(email) = LeadEmail::parse(text)
        {
            return LeadSearch::Email(email);
        }
        let mut words: Vec<String> = Vec::new();
        for word in words_of(text) {
            if !words.contains(&word) {
                words.push(word);
            }
        }
        LeadSearch::Words(words)
    }

    /// Whether a lead with these words (see [`lead_words`]) matches.
    pub fn matches_words(&self, words: &[String]) -> bool {
        match self {
            LeadSearch::Email(_) => false,
            LeadSearch::Words(wanted) => {
                !wanted.is_empty()
                    && wanted
                        .iter()
                        .all(|w| words.iter().any(|have| have.starts_with(w.as_str())))
            }
        }
    }

    pub fn matches(&self, lead: &LeadRecord) -> bool {
        match self {
            LeadSearch::Email(email) => lead.email == email.as_str(),
            LeadSearch::Words(_) => self.matches_words(&lead_words(lead)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deal_status::LeadSource;

    fn lead(first: &str, last: &str, company: &str, email: &str) -> LeadRecord {
        let mut lead = LeadRecord::new(
            "L1".into(),
            "P1".into(),
            LeadEmail::parse(email).unwrap(),
            LeadSource::Manual,
            chrono::Utc::now(),
        );
        lead.contact.first_name = Some(first.into());
        lead.contact.last_name = Some(last.into());
        lead.contact.company = Some(company.into());
        lead
    }

    #[test]
    fn words_are_lowercased_runs_of_letters_and_digits() {
        let l = lead(
            "Ann-Marie",
            "O'Neil",
            "Acme Widgets",
            "ann.lee@acme.example",
        );
        assert_eq!(
            lead_words(&l),
            [
                "ann", "marie", "o", "neil", "acme", "widgets", "lee", "example"
            ]
        );
    }

    #[test]
    fn every_search_word_must_start_a_lead_word() {
        let ann = lead("Ann", "Lee", "Acme Widgets", "a@x.io");
        let annabel = lead("Annabel", "Stone", "Borealis", "b@y.io");
        let search = |t: &str| LeadSearch::parse(&t.to_lowercase());
        assert!(search("Ann Lee").matches(&ann));
        assert!(!search("Ann Lee").matches(&annabel));
        assert!(search("ann").matches(&annabel));
        assert!(search("acme wid").matches(&ann));
        assert!(!search("cme").matches(&ann), "starts of words only");
        assert!(!search("!!").matches(&ann), "no words: nothing");
        assert!(search("a@x.io").matches(&ann));
        assert!(!search("a@x.io").matches(&annabel));
    }

    #[test]
    fn long_words_are_indexed_by_their_start() {
        let word = "é".repeat(100);
        assert_eq!(indexed_word(&word).chars().count(), MAX_WORD_CHARS);
        assert_eq!(indexed_word("short"), "short");
        let many = lead(
            &"w ".repeat(10),
            &(0..60).map(|i| format!("x{i} ")).collect::<String>(),
            "",
            "a@b.io",
        );
        assert_eq!(lead_words(&many).len(), MAX_WORDS);
    }
}
