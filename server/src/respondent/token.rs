//! Stateless respondent tokens: `base64url(claims JSON).base64url(HMAC-SHA256)`.
//!
//! The server keeps no session table: a sync request is authenticated by checking a signature, which costs
//! microseconds and no database round trip. The price is that a token cannot be revoked before it expires, so the
//! lifetime is bounded (`QUIRE_TOKEN_TTL_HOURS`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::config::Secret;
use crate::http::error::ApiError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// Respondent id.
    pub sub: Uuid,
    /// The survey version the respondent is pinned to.
    pub ver: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
}

#[derive(Clone)]
pub struct TokenKeys {
    mac: Hmac<Sha256>,
    ttl: time::Duration,
}

impl TokenKeys {
    pub fn new(secret: &Secret, ttl_hours: u32) -> Self {
        let mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes a key of any length");
        TokenKeys { mac, ttl: time::Duration::hours(i64::from(ttl_hours)) }
    }

    pub fn issue(&self, respondent: Uuid, version: &str) -> String {
        let claims = Claims {
            sub: respondent,
            ver: version.to_owned(),
            exp: (OffsetDateTime::now_utc() + self.ttl).unix_timestamp(),
        };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("claims serialize"));
        let mut mac = self.mac.clone();
        mac.update(payload.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{payload}.{sig}")
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let invalid = ApiError::Unauthorized("invalid token");
        let (payload, sig) = token.split_once('.').ok_or(ApiError::Unauthorized("invalid token"))?;
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| ApiError::Unauthorized("invalid token"))?;
        let mut mac = self.mac.clone();
        mac.update(payload.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&sig).map_err(|_| ApiError::Unauthorized("invalid token"))?;
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(invalid)?;
        if claims.exp < OffsetDateTime::now_utc().unix_timestamp() {
            return Err(ApiError::Unauthorized("token expired; sign in again"));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str, ttl: u32) -> TokenKeys {
        TokenKeys::new(&Secret::new(secret.to_owned()), ttl)
    }

    #[test]
    fn round_trip() {
        let k = keys("s3cret", 1);
        let id = Uuid::from_u128(42);
        let claims = k.verify(&k.issue(id, "abc")).unwrap();
        assert_eq!((claims.sub, claims.ver.as_str()), (id, "abc"));
    }

    #[test]
    fn rejects_tampering_other_keys_and_expiry() {
        let k = keys("s3cret", 1);
        let token = k.issue(Uuid::from_u128(1), "abc");
        assert!(keys("other", 1).verify(&token).is_err());
        let (payload, sig) = token.split_once('.').unwrap_or_default();
        let forged = URL_SAFE_NO_PAD.encode(
            String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap_or_default())
                .unwrap_or_default()
                .replace("abc", "xyz"),
        );
        assert!(k.verify(&format!("{forged}.{sig}")).is_err());
        assert!(k.verify("garbage").is_err());
        let expired = keys("s3cret", 0).issue(Uuid::from_u128(1), "abc");
        // ttl 0 expires "now"; a token from the past is refused once a second has passed.
        let claims: Claims = serde_json::from_slice(
            &URL_SAFE_NO_PAD.decode(expired.split_once('.').unwrap_or_default().0).unwrap_or_default(),
        )
        .unwrap();
        assert!(claims.exp <= OffsetDateTime::now_utc().unix_timestamp());
        let mut mac = k.mac.clone();
        let old = Claims { exp: claims.exp - 10, ..claims };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&old).unwrap_or_default());
        mac.update(payload.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert!(
            matches!(k.verify(&format!("{payload}.{sig}")), Err(ApiError::Unauthorized(m)) if m.contains("expired"))
        );
    }
}
