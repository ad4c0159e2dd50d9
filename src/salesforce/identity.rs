//! Who and where: the org, user and instance a client is connected to, from the OpenID
//! userinfo endpoint. A ledger is kept per org by its Id, and `run` says where it delivers
//! before the first write.

use reqwest::Method;

use super::client::{Request, Safety};
use super::{Client, SfError};

/// The org and user behind a connection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    /// The 18-character Organization Id (`00D…`).
    pub org_id: String,
    pub user_id: String,
    pub username: String,
    /// The instance the client talks to.
    pub instance_url: String,
}

#[derive(serde::Deserialize)]
struct UserInfo {
    organization_id: String,
    user_id: String,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    username: Option<String>,
}

impl Client {
    /// Asks `GET /services/oauth2/userinfo` who this connection is. A data request of no
    /// object: not counted in [`Client::api_calls`].
    pub async fn identity(&self) -> Result<Identity, SfError> {
        let mut req = Request::new(
            Method::GET,
            "services/oauth2/userinfo".to_string(),
            Safety::Repeatable,
        );
        req.counted = false;
        let info: UserInfo = match self.send(req).await {
            Ok(answer) => answer.json("userinfo")?,
            // userinfo refuses a bad token with 403 Bad_OAuth_Token (401 elsewhere).
            Err(SfError::Api {
                status: 401 | 403,
                errors,
            }) => {
                return Err(SfError::Auth {
                    code: errors.first().map(|e| e.status_code.clone()),
                    message: format!(
                        "the org refused the session ({}); log in again, or check the token",
                        errors.first().map_or("no detail", |e| e.message.as_str())
                    ),
                });
            }
            Err(e) => return Err(e),
        };
        if !is_org_id(&info.organization_id) {
            return Err(SfError::Protocol(format!(
                "userinfo names no organization (organization_id {:?})",
                info.organization_id
            )));
        }
        Ok(Identity {
            org_id: info.organization_id,
            user_id: info.user_id,
            username: info
                .preferred_username
                .or(info.username)
                .unwrap_or_default(),
            instance_url: self.instance_url().to_string(),
        })
    }
}

/// An Organization Id: `00D` and 12 or 15 more letters and digits.
fn is_org_id(id: &str) -> bool {
    id.starts_with("00D")
        && matches!(id.len(), 15 | 18)
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
}
