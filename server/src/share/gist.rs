//! Shares as GitHub gists, through octocrab.
//!
//! With a token, new shares become SECRET gists holding one file,
//! `policy.yaml`; the gist id is the share id. Without a token the store can
//! still read public and secret gists by id (the id is the secret), which is
//! how links made by another Palisade server open here.
//!
//! The token stays on the server: it is only ever sent to the configured
//! GitHub API.

use std::time::Duration;

use octocrab::Octocrab;
use octocrab::models::gists::Gist;

use super::{NewShare, Share, ShareError, ShareId, ShareStore, StoreFuture};

/// Name of the file a share is stored in.
pub const POLICY_FILE: &str = "policy.yaml";

/// Description of gists created without a title.
pub const DEFAULT_DESCRIPTION: &str = "Palisade network policy";

/// Shares in GitHub gists.
pub struct GistStore {
    client: Octocrab,
    authenticated: bool,
    /// Where the GitHub API is, for messages when it cannot be reached.
    api_url: String,
}

impl GistStore {
    /// A store talking to `api_url` (such as `https://api.github.com`),
    /// authenticated with `token` when given. Must be called inside a tokio runtime.
    pub fn new(api_url: &str, token: Option<&str>) -> Result<GistStore, ShareError> {
        let mut builder = Octocrab::builder()
            .base_uri(api_url)
            .map_err(|err| ShareError::Upstream(format!("bad GitHub API URL {api_url:?}: {err}")))?
            .set_connect_timeout(Some(Duration::from_secs(5)))
            .set_read_timeout(Some(Duration::from_secs(15)))
            .set_write_timeout(Some(Duration::from_secs(15)));
        if let Some(token) = token {
            builder = builder.personal_token(token.to_owned());
        }
        let client = builder
            .build()
            .map_err(|err| ShareError::Upstream(format!("cannot build GitHub client: {err}")))?;
        Ok(GistStore {
            client,
            authenticated: token.is_some(),
            api_url: shown_url(api_url),
        })
    }

    /// Whether a token is configured (needed to create gists).
    pub fn authenticated(&self) -> bool {
        self.authenticated
    }
}

/// Maps an octocrab error, keeping GitHub's own status and message; an
/// exchange that never reached GitHub says so, with the API address and the
/// cause (octocrab's own text is a bare "Service Error: client error (Connect)").
fn upstream(api_url: &str, err: octocrab::Error) -> ShareError {
    match err {
        octocrab::Error::GitHub { source, .. } => {
            let status = source.status_code;
            let message = format!("{} ({})", source.message, status);
            if status == 401 || status == 403 || status == 429 {
                ShareError::Refused(message)
            } else {
                ShareError::Upstream(message)
            }
        }
        octocrab::Error::Service { .. } | octocrab::Error::Hyper { .. } => {
            ShareError::Upstream(format!(
                "GitHub cannot be reached at {api_url}: {}",
                root_cause(&err)
            ))
        }
        other => ShareError::Upstream(format!("{other}: {}", root_cause(&other))),
    }
}

/// The API address as messages show it: without any user or password.
fn shown_url(api_url: &str) -> String {
    match url::Url::parse(api_url) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.as_str().trim_end_matches('/').to_owned()
        }
        Err(_) => api_url.trim_end_matches('/').to_owned(),
    }
}

/// The innermost cause of `err`, such as "Connection refused (os error 111)"
/// or "operation timed out".
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// Turns a gist into a share: `policy.yaml`, else its only YAML file.
fn share_from_gist(gist: Gist) -> Result<Share, ShareError> {
    let id = ShareId::Gist(gist.id.clone());
    let file = match gist.files.get(POLICY_FILE) {
        Some(file) => file,
        None => gist
            .files
            .values()
            .find(|file| file.filename.ends_with(".yaml") || file.filename.ends_with(".yml"))
            .ok_or_else(|| ShareError::NotAShare(format!("gist {} holds no YAML file", gist.id)))?,
    };
    if file.truncated == Some(true) {
        return Err(ShareError::NotAShare(format!(
            "gist {}: {} is too large for the gist API ({} bytes)",
            gist.id, file.filename, file.size
        )));
    }
    let yaml = file.content.clone().ok_or_else(|| {
        ShareError::NotAShare(format!(
            "gist {}: {} has no content",
            gist.id, file.filename
        ))
    })?;
    let title = gist
        .description
        .filter(|description| !description.is_empty() && description != DEFAULT_DESCRIPTION);
    Ok(Share {
        id,
        yaml,
        title,
        created_at: gist.created_at,
    })
}

impl ShareStore for GistStore {
    fn name(&self) -> &'static str {
        "gist"
    }

    fn create(&self, share: NewShare) -> StoreFuture<'_, Share> {
        Box::pin(async move {
            if !self.authenticated {
                return Err(ShareError::Refused("no GitHub token configured".to_owned()));
            }
            let description = share
                .title
                .clone()
                .unwrap_or_else(|| DEFAULT_DESCRIPTION.to_owned());
            let gist = self
                .client
                .gists()
                .create()
                .description(description)
                .public(false)
                .file(POLICY_FILE, share.yaml)
                .send()
                .await
                .map_err(|err| upstream(&self.api_url, err))?;
            if ShareId::parse(&gist.id)
                .map(|id| matches!(id, ShareId::Gist(_)))
                .unwrap_or(false)
            {
                share_from_gist(gist)
            } else {
                Err(ShareError::Upstream(format!(
                    "GitHub answered with an unexpected gist id {:?}",
                    gist.id
                )))
            }
        })
    }

    fn get<'a>(&'a self, id: &'a ShareId) -> StoreFuture<'a, Option<Share>> {
        Box::pin(async move {
            let ShareId::Gist(key) = id else {
                return Ok(None);
            };
            match self.client.gists().get(key).await {
                Ok(gist) => share_from_gist(gist).map(Some),
                Err(octocrab::Error::GitHub { source, .. }) if source.status_code == 404 => {
                    Ok(None)
                }
                Err(err) => Err(upstream(&self.api_url, err)),
            }
        })
    }
}
