//! Dumps in the original system's shape, written with the real BSON
//! encoding (`mongodump`'s: one document after another), for the tests
//! and the benchmark.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::Path;

use bson::oid::ObjectId;
use bson::{Bson, DateTime, Decimal128, Document, doc};

/// Writes BSON documents to `<name>.bson` under a dump directory.
pub struct CollectionWriter {
    out: BufWriter<File>,
}

impl CollectionWriter {
    pub fn create(dir: &Path, name: &str) -> std::io::Result<Self> {
        std::fs::write(
            dir.join(format!("{name}.metadata.json")),
            format!("{{\"indexes\":[],\"collectionName\":\"{name}\",\"type\":\"collection\"}}"),
        )?;
        Ok(Self {
            out: BufWriter::with_capacity(1 << 20, File::create(dir.join(format!("{name}.bson")))?),
        })
    }

    pub fn write(&mut self, doc: &Document) -> std::io::Result<()> {
        let bytes = doc.to_vec().map_err(std::io::Error::other)?;
        self.out.write_all(&bytes)
    }

    /// Raw bytes (a truncated document, say).
    pub fn write_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Writes one whole collection.
pub fn collection(dir: &Path, name: &str, docs: &[Document]) -> std::io::Result<()> {
    let mut writer = CollectionWriter::create(dir, name)?;
    for doc in docs {
        writer.write(doc)?;
    }
    writer.finish()
}

/// A deterministic ObjectId: creation second, then a kind byte and a number.
pub fn oid(kind: u8, n: u64, created_secs: u32) -> ObjectId {
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&created_secs.to_be_bytes());
    bytes[4] = kind;
    bytes[5..].copy_from_slice(&n.to_be_bytes()[1..]);
    ObjectId::from_bytes(bytes)
}

/// 2023-01-01T00:00:00Z.
pub const BASE_SECS: u32 = 1_672_531_200;

pub fn date(secs: u32) -> DateTime {
    DateTime::from_millis(i64::from(secs) * 1000)
}

pub fn decimal(text: &str) -> Bson {
    Bson::Decimal128(text.parse::<Decimal128>().expect("a decimal literal"))
}

/// The benchmark's dump: 100 partners, 500 users, `leads` leads (1 % of
/// them a second lead of the same partner and email in other letter
/// case, none with a `scheduledDate`), a meeting for every other lead,
/// a note on every tenth, and a billing configuration per partner.
pub fn bench_dump(dir: &Path, leads: u64) -> std::io::Result<()> {
    const PARTNERS: u64 = 100;
    let hash = bcrypt::hash("Legacy-Password-1", 4).map_err(std::io::Error::other)?;
    let mut partners = CollectionWriter::create(dir, "partners")?;
    let mut billings = CollectionWriter::create(dir, "billings")?;
    for p in 0..PARTNERS {
        let id = oid(1, p, BASE_SECS);
        partners.write(&doc! {
            "_id": id, "name": format!("Partner {p}"), "slug": format!("partner-{p}"),
            "chiliMeetingTypes": [format!("Intro {p}")], "icp": {"industry": "SaaS"},
            "billing": oid(6, p, BASE_SECS), "createdAt": date(BASE_SECS), "__v": 0,
        })?;
        billings.write(&doc! {
            "_id": oid(6, p, BASE_SECS), "billingType": "qualified_lead",
            "billingTerms": [{"startMonth": 1, "value": decimal("50.00")}],
            "createdAt": date(BASE_SECS),
        })?;
    }
    partners.finish()?;
    billings.finish()?;
    let mut users = CollectionWriter::create(dir, "users")?;
    for u in 0..500u64 {
        users.write(&doc! {
            "_id": oid(2, u, BASE_SECS), "email": format!("User{u}@Example.com"),
            "password": hash.clone(), "role": "user", "partner": oid(1, u % PARTNERS, BASE_SECS),
            "isActive": true, "createdAt": date(BASE_SECS), "__v": 0i64,
        })?;
    }
    users.finish()?;
    let mut out = CollectionWriter::create(dir, "leads")?;
    let mut meetings = CollectionWriter::create(dir, "meetings")?;
    for i in 0..leads {
        // Dump order is not creation order.
        let created = BASE_SECS + ((i * 7919) % leads.max(1)) as u32;
        let partner = oid(1, i % PARTNERS, BASE_SECS);
        // Every hundredth lead repeats the one before it (same partner).
        let (email, partner) = if i % 100 == 99 {
            (
                format!("LEAD{}@Example.com", i - 1),
                oid(1, (i - 1) % PARTNERS, BASE_SECS),
            )
        } else {
            (format!("lead{i}@example.com"), partner)
        };
        let id = oid(3, i, created);
        let status = if i % 5 == 0 { "won" } else { "new" };
        let mut lead = doc! {
            "_id": id, "partner": partner, "email": email, "firstName": format!("First{i}"),
            "lastName": "Lead", "company": format!("Company {}", i % 1000),
            "dealStatus": status, "source": "chilipiper",
            "createdAt": date(created), "updatedAt": date(created), "__v": 0,
        };
        if i % 5 == 0 {
            lead.insert("dealAmount", decimal("1250.50"));
        }
        if i % 10 == 0 {
            lead.insert("notes", vec![Bson::Document(doc! {
                "_id": oid(4, i, created), "text": "Called, interested", "createdAt": date(created + 60),
            })]);
        }
        out.write(&lead)?;
        if i % 2 == 0 {
            meetings.write(&doc! {
                "_id": oid(5, i, created), "lead": id, "meetingIdChili": format!("chili-{i}"),
                "scheduledTime": date(created + 86_400), "status": "Created", "type": format!("Intro {}", i % PARTNERS),
                "assigneeEmail": "rep@example.com", "hostEmail": "host@example.com",
                "createdAt": date(created),
            })?;
        }
    }
    out.finish()?;
    meetings.finish()
}
