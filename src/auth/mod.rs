//! Signing in and out, and turning a bearer token into the [`Caller`] it belongs to.
//! Owns `auth_tokens` and the login counters on `users`.

pub mod cache;
pub mod store;
pub mod token;

use crate::{
    AppState,
    accounts::{self, User},
    domain::{Phone, Role, looks_like_email},
    error::{AppError, AppResult},
    password,
};
use chrono::{DateTime, Utc};

/// Who is calling: resolved from the bearer token on every authenticated request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub name: String,
    pub roles: Vec<Role>,
    pub enterprise_id: Option<i64>,
    /// The person's street (街道); for a street officer, the street they oversee.
    pub street_id: Option<i64>,
    /// The digest of the token used, so logout can revoke exactly it.
    pub token_digest: String,
}

impl Caller {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_bureau(&self) -> bool {
        self.has(Role::BureauAdmin)
    }

    /// Refuses unless the caller holds one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> AppResult<()> {
        if roles.iter().any(|r| self.has(*r)) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(AppError::forbidden(format!(
                "this needs the role {}",
                names.join(" or ")
            )))
        }
    }
}

pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// Login by phone or email. Failed attempts are counted per account; after
/// `login_max_failures` in a row the account is locked for `login_lock`.
pub async fn login(state: &AppState, login: &str, password: &str) -> AppResult<Session> {
    let now = Utc::now();
    let login = login.trim();
    let account = if looks_like_email(login) {
        store::credentials_by_email(&state.db, &login.to_lowercase()).await?
    } else {
        match Phone::parse(login) {
            Ok(phone) => store::credentials_by_phone(&state.db, phone.as_str()).await?,
            Err(_) => None,
        }
    };
    let Some(account) = account else {
        password::verify(None, password.to_string()).await?;
        return Err(AppError::InvalidCredentials);
    };
    if let Some(until) = account.locked_until
        && until > now
    {
        return Err(AppError::AccountLocked {
            retry_after_secs: (until - now).num_seconds().max(1) as u64,
        });
    }
    if !password::verify(account.password_hash.clone(), password.to_string()).await? {
        let lock_until = now + state.config.login_lock;
        store::record_failed_login(
            &state.db,
            account.id,
            i64::from(state.config.login_max_failures),
            lock_until,
        )
        .await?;
        tracing::info!(user_id = account.id, "failed login");
        return Err(AppError::InvalidCredentials);
    }
    if account.failed_logins > 0 || account.locked_until.is_some() {
        store::clear_failed_logins(&state.db, account.id).await?;
    }
    let token = token::generate();
    let digest = token::digest(&token);
    let expires_at = now + state.config.token_ttl;
    store::insert_token(&state.db, &digest, account.id, now, expires_at).await?;
    let user = accounts::require_user(state, account.id).await?;
    // The first request after a login (in an exam room, the start) then finds its caller
    // here instead of in the database: 5,000 lookups fewer in a synchronized start.
    state.callers.put(
        &Caller {
            user_id: user.id,
            name: user.name.clone(),
            roles: user.roles.clone(),
            enterprise_id: user.enterprise_id,
            street_id: user.street_id,
            token_digest: digest,
        },
        expires_at,
    );
    Ok(Session {
        token,
        expires_at,
        user,
    })
}

/// The caller a bearer token stands for, if it is known, unrevoked and unexpired.
pub async fn authenticate(state: &AppState, bearer: &str) -> AppResult<Caller> {
    let digest = token::digest(bearer);
    let now = Utc::now();
    if let Some(caller) = state.callers.get(&digest, now) {
        return Ok(caller);
    }
    let holder = store::token_holder(&state.db, &digest, now)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let caller = Caller {
        user_id: holder.id,
        name: holder.name,
        roles: holder.roles,
        enterprise_id: holder.enterprise_id,
        street_id: holder.street_id,
        token_digest: digest,
    };
    state.callers.put(&caller, holder.expires_at);
    Ok(caller)
}

pub async fn logout(state: &AppState, caller: &Caller) -> AppResult<()> {
    state.callers.forget(&caller.token_digest);
    store::revoke_token(&state.db, &caller.token_digest, Utc::now()).await?;
    Ok(())
}

/// How long a password-reset link works.
pub const RESET_LINK_VALID_MINUTES: i64 = 60;

/// 忘记密码: mails a one-time link to set a new password, valid for an hour, to the account
/// with this phone or email, if there is one and it has an email. Says nothing either way, so
/// the form does not reveal who has an account; at most one link a minute per account.
pub async fn request_password_reset(state: &AppState, login: &str) -> AppResult<()> {
    let login = login.trim();
    let user_id = if looks_like_email(login) {
        store::credentials_by_email(&state.db, &login.to_lowercase()).await?
    } else {
        match Phone::parse(login) {
            Ok(phone) => store::credentials_by_phone(&state.db, phone.as_str()).await?,
            Err(_) => None,
        }
    }
    .map(|c| c.id);
    let Some(user_id) = user_id else {
        return Ok(());
    };
    let user = accounts::require_user(state, user_id).await?;
    let Some(email) = user.email.clone() else {
        return Ok(());
    };
    let now = Utc::now();
    let secret = token::generate();
    let link = format!(
        "{}/set-password?token={secret}",
        state.config.public_base_url.trim_end_matches('/')
    );
    let mail =
        crate::mail::templates::password_reset(&user.name, &email, &link, RESET_LINK_VALID_MINUTES);
    store::insert_reset_token(
        &state.db,
        &token::digest(&secret),
        user_id,
        now + chrono::Duration::minutes(RESET_LINK_VALID_MINUTES),
        chrono::Duration::minutes(1),
        &mail,
        now,
    )
    .await?;
    Ok(())
}

/// Sets a password through a one-time link (accounts made from an enterprise roster, and
/// password resets).
pub async fn set_password_with_token(
    state: &AppState,
    setup_token: &str,
    new_password: &str,
) -> AppResult<User> {
    let password = crate::domain::Password::parse(new_password)?;
    let digest = token::digest(setup_token.trim());
    let user_id = store::setup_token_holder(&state.db, &digest, Utc::now())
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "token",
                "this link is unknown, used or expired; ask for a new one",
            )
        })?;
    let hash = password::hash(password).await?;
    if !store::use_setup_token(&state.db, &digest, user_id, &hash, Utc::now()).await? {
        return Err(AppError::invalid("token", "this link was used already"));
    }
    accounts::require_user(state, user_id).await
}
