//! Client applications of the open APIs (Open311): each has a name and a key, 160 random
//! bits shown once and kept only as its SHA-256. Keys are given and revoked from the command
//! line (`tawasul open311 key …`); a request that writes presents one and is refused without.

use crate::error::Failure;
use crate::identity::auth::new_secret;
use crate::identity::{IdentityError, IdentityResult};
use crate::App;
use tawasul_domain::{secret_digest, Invalid};
use tawasul_store::{ClientKeyInsert, ClientKeyRow};

/// A client application, as the edges see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: i64,
    pub name: String,
}

/// A client's name: 1–80 visible ASCII characters (it is typed on a command line and shown
/// in logs).
fn parse_client_name(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    let ok = (1..=80).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if ok {
        Ok(name.to_owned())
    } else {
        Err(Invalid::new("invalid_name", "name", "1–80 visible ASCII characters"))
    }
}

impl App {
    /// Gives a client application a new key; returns the key, which is not kept and cannot
    /// be shown again. A name has one live key at a time.
    pub async fn add_client_key(&self, name: &str) -> IdentityResult<String> {
        let name = parse_client_name(name).map_err(Failure::Invalid)?;
        let key = new_secret();
        self.store
            .insert_client_key(ClientKeyInsert {
                name,
                key_hash: secret_digest(&key),
                created_at: self.now_micros(),
            })
            .await?;
        Ok(key)
    }

    /// Every client key, live and revoked, oldest first (names and dates; never the keys).
    pub async fn client_keys(&self) -> IdentityResult<Vec<ClientKeyRow>> {
        Ok(self.store.client_keys().await?)
    }

    /// Revokes the live key of `name`: its client is refused from now on.
    pub async fn revoke_client_key(&self, name: &str) -> IdentityResult<()> {
        let name = parse_client_name(name).map_err(Failure::Invalid)?;
        if self.store.revoke_client_key(name, self.now_micros()).await? {
            Ok(())
        } else {
            Err(IdentityError::Common(Failure::NotFound("client key")))
        }
    }

    /// The client application a key belongs to; `Unauthenticated` for no key, a wrong key or
    /// a revoked one.
    pub async fn client_by_key(&self, key: &str) -> IdentityResult<Client> {
        let plausible = (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
        if !plausible {
            return Err(Failure::Unauthenticated.into());
        }
        match self.store.live_client_key(&secret_digest(key)).await? {
            Some(row) => Ok(Client {
                id: row.id,
                name: row.name,
            }),
            None => Err(Failure::Unauthenticated.into()),
        }
    }
}
