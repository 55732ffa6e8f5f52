//! Share links: a policy's YAML stored under an unguessable id, read back by
//! `/?id=<id>`.
//!
//! One trait, [`ShareStore`], three stores:
//! - [`sqlite::SqliteStore`], an embedded SQLite file in the data directory
//!   (the default, no configuration needed);
//! - [`postgres::PostgresStore`], PostgreSQL (`--database-url`), which
//!   several replicas share; it takes SQLite's place;
//! - [`gist::GistStore`], secret GitHub gists, used for new shares when a
//!   GitHub token is configured.
//!
//! The id says which store holds a share: local (SQLite or PostgreSQL) ids are 16 base62
//! characters, gist ids are hexadecimal (20 or 32 digits), see [`ShareId`].

pub mod gist;
pub mod postgres;
pub mod sqlite;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// Length of an id minted by the SQLite store.
pub const LOCAL_ID_LEN: usize = 16;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A boxed future, so that [`ShareStore`] can be used as a trait object.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ShareError>> + Send + 'a>>;

/// The id of a share, which also says where it is stored.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ShareId {
    /// 16 base62 characters from a CSPRNG; stored in SQLite.
    Local(String),
    /// A GitHub gist id: lowercase hexadecimal.
    Gist(String),
}

/// A string that cannot be a share id.
#[derive(Debug, thiserror::Error)]
#[error("malformed share id {0:?}")]
pub struct MalformedShareId(pub String);

impl ShareId {
    /// Parses an id from a URL. Gist ids are 20 to 40 lowercase hex digits;
    /// local ids are exactly [`LOCAL_ID_LEN`] base62 characters.
    pub fn parse(text: &str) -> Result<ShareId, MalformedShareId> {
        let is_hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
        if (20..=40).contains(&text.len()) && text.bytes().all(is_hex) {
            Ok(ShareId::Gist(text.to_owned()))
        } else if text.len() == LOCAL_ID_LEN && text.bytes().all(|c| c.is_ascii_alphanumeric()) {
            Ok(ShareId::Local(text.to_owned()))
        } else {
            Err(MalformedShareId(text.to_owned()))
        }
    }

    /// A fresh local id: [`LOCAL_ID_LEN`] base62 characters (about 95 bits)
    /// drawn from the operating system's CSPRNG.
    pub fn new_local() -> Result<ShareId, ShareError> {
        let mut id = String::with_capacity(LOCAL_ID_LEN);
        let mut buffer = [0u8; 32];
        while id.len() < LOCAL_ID_LEN {
            getrandom::fill(&mut buffer)
                .map_err(|err| ShareError::Storage(format!("no randomness: {err}")))?;
            // Rejection sampling keeps every character equally likely:
            // 248 = 4 * 62 is the largest multiple of 62 below 256.
            for byte in buffer {
                if byte < 248 && id.len() < LOCAL_ID_LEN {
                    id.push(char::from(BASE62[usize::from(byte % 62)]));
                }
            }
        }
        Ok(ShareId::Local(id))
    }

    /// The id as it appears in URLs.
    pub fn as_str(&self) -> &str {
        match self {
            ShareId::Local(id) | ShareId::Gist(id) => id,
        }
    }
}

impl fmt::Display for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a client asks to share.
#[derive(Clone, Debug)]
pub struct NewShare {
    /// The policy YAML, verbatim.
    pub yaml: String,
    /// An optional human title.
    pub title: Option<String>,
}

/// A stored share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    /// Its id.
    pub id: ShareId,
    /// The policy YAML, verbatim.
    pub yaml: String,
    /// The title given at creation.
    pub title: Option<String>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// A store failed.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    /// The local database failed.
    #[error("share database: {0}")]
    Storage(String),
    /// The share database cannot be reached (down, restarting, overloaded);
    /// retrying later may succeed.
    #[error("share database: {0}")]
    Unavailable(String),
    /// GitHub could not be reached or answered with an error.
    #[error("GitHub: {0}")]
    Upstream(String),
    /// GitHub refused the request for lack of (valid) credentials or rate limit.
    #[error("GitHub refused the request: {0}")]
    Refused(String),
    /// The stored object exists but is not a Palisade share.
    #[error("{0}")]
    NotAShare(String),
}

/// A place where shares live.
pub trait ShareStore: Send + Sync {
    /// A short name for logs and metrics (`sqlite`, `gist`).
    fn name(&self) -> &'static str;

    /// Stores a share durably and returns it with its new id. When this
    /// returns `Ok`, the share survives a crash of the process.
    fn create(&self, share: NewShare) -> StoreFuture<'_, Share>;

    /// Reads a share; `Ok(None)` when there is none with that id.
    fn get<'a>(&'a self, id: &'a ShareId) -> StoreFuture<'a, Option<Share>>;

    /// Whether the store can be used now (for `/healthz`). Stores with
    /// nothing to reach answer `Ok`.
    fn check(&self) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}

/// The server's stores: the local one (SQLite, or PostgreSQL) always, gists for reading always and for new
/// shares when a token is configured.
#[derive(Clone)]
pub struct Shares {
    local: Arc<dyn ShareStore>,
    gists: Arc<dyn ShareStore>,
    create_in_gists: bool,
}

impl Shares {
    /// Combines the stores. New shares go to `gists` when `create_in_gists`.
    pub fn new(
        local: Arc<dyn ShareStore>,
        gists: Arc<dyn ShareStore>,
        create_in_gists: bool,
    ) -> Self {
        Shares {
            local,
            gists,
            create_in_gists,
        }
    }

    /// The store that new shares go to.
    pub fn writer(&self) -> &dyn ShareStore {
        if self.create_in_gists {
            self.gists.as_ref()
        } else {
            self.local.as_ref()
        }
    }

    /// Stores a new share in the writing store.
    pub async fn create(&self, share: NewShare) -> Result<Share, ShareError> {
        self.writer().create(share).await
    }

    /// The store of local ids (SQLite or PostgreSQL).
    pub fn local(&self) -> &dyn ShareStore {
        self.local.as_ref()
    }

    /// Reads a share from the store its id belongs to.
    pub async fn get(&self, id: &ShareId) -> Result<Option<Share>, ShareError> {
        match id {
            ShareId::Local(_) => self.local.get(id).await,
            ShareId::Gist(_) => self.gists.get(id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_are_base62_and_distinct() {
        let ids: std::collections::HashSet<String> = (0..1000)
            .map(|_| ShareId::new_local().unwrap().as_str().to_owned())
            .collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            assert_eq!(id.len(), LOCAL_ID_LEN);
            assert!(
                matches!(ShareId::parse(id).unwrap(), ShareId::Local(_)),
                "{id}"
            );
        }
    }

    #[test]
    fn ids_are_told_apart_by_format() {
        assert_eq!(
            ShareId::parse("aa5a315d61ae9438b18d").unwrap(),
            ShareId::Gist("aa5a315d61ae9438b18d".into())
        );
        assert_eq!(
            ShareId::parse("2decf6c462d9b4418f2f4b5a2e7d1e1a").unwrap(),
            ShareId::Gist("2decf6c462d9b4418f2f4b5a2e7d1e1a".into())
        );
        assert_eq!(
            ShareId::parse("Ab3dE6gH9jK2mN5p").unwrap(),
            ShareId::Local("Ab3dE6gH9jK2mN5p".into())
        );
        for bad in [
            "",
            "short",
            "Ab3dE6gH9jK2mN5p0",
            "Ab3dE6gH9jK2mN5!",
            "../../etc/passwd",
            "ABCDEF0123456789ABCD",
        ] {
            assert!(ShareId::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
