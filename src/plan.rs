//! The recovery plan (`recovery.toml`): the window, the tenants, where the evidence lies, the
//! mappings folder, the restored database and the output folder. Paths in the plan are relative
//! to the plan file, so a plan can be moved together with its evidence.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub window: Window,
    /// Folder of mapping files (extraction mappings; `target/` holds target-schema mappings).
    #[serde(default = "default_mappings")]
    pub mappings: PathBuf,
    /// Output folder (overridden by `--out`).
    #[serde(default = "default_output")]
    pub output: PathBuf,
    #[serde(default)]
    pub database: Option<Database>,
    #[serde(default)]
    pub sources: Sources,
    pub tenants: Vec<Tenant>,
    /// `[live]`: margin and timeouts of the live sources (see `import::live`).
    #[serde(default)]
    pub live: crate::import::live::LiveConfig,
    /// `[stripe]`: fetch each tenant's connected account from the Stripe API.
    #[serde(default)]
    pub stripe: Option<crate::import::live::stripe::StripeConfig>,
    /// `[imap]`: fetch mails from a mailbox (read-only).
    #[serde(default)]
    pub imap: Option<crate::import::live::imap::ImapConfig>,
    /// Folder the plan file is in; every relative path is resolved against it.
    #[serde(skip)]
    pub base_dir: PathBuf,
    #[serde(skip)]
    pub path: PathBuf,
}

fn default_mappings() -> PathBuf {
    PathBuf::from("mappings")
}
fn default_output() -> PathBuf {
    PathBuf::from("gapfill-out")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// T0: when the restored backup was taken (RFC 3339).
    pub since: DateTime<Utc>,
    /// T1: when the data was lost (RFC 3339).
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// `sqlite` (the default), `postgres` or `mysql` (MariaDB too).
    #[serde(default = "default_db_kind")]
    pub kind: String,
    /// SQLite file of the restored database.
    pub path: Option<PathBuf>,
    /// PostgreSQL/MariaDB: the environment variable that holds the URL (default
    /// `DATABASE_URL`). The URL itself never goes into the plan: it may hold a password.
    #[serde(default)]
    pub url_env: Option<String>,
    /// Target-schema mapping (TOML) that says where bookings live in that database.
    pub mapping: PathBuf,
}

fn default_db_kind() -> String {
    "sqlite".into()
}

/// Evidence files not tied to one tenant in the plan: the tenant is found from the data
/// (a path component naming a connected account, the sender, the text).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    #[serde(default)]
    pub stripe_json: Vec<String>,
    #[serde(default)]
    pub stripe_csv: Vec<String>,
    #[serde(default)]
    pub calendars: Vec<String>,
    /// mbox files, Maildir folders, `.eml` files or folders of them.
    #[serde(default)]
    pub emails: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    /// Short id used in outputs (`tenants/<slug>/bookings.csv`).
    pub slug: String,
    /// Display name as it appears in mails and receipts.
    pub name: String,
    /// Stripe connected account id (`acct_…`).
    #[serde(default)]
    pub stripe_account: Option<String>,
    /// IANA zone name, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    /// Date order for ambiguous numeric dates (`dmy`, `mdy`, `ymd`); guessed from the zone when
    /// absent (America/* → mdy, else dmy).
    #[serde(default)]
    pub date_order: Option<String>,
    /// Sender addresses or domains of this tenant's booking mails.
    #[serde(default)]
    pub email_senders: Vec<String>,
    /// Other names the business goes by in mails and calendar titles.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Evidence files that belong to this tenant only.
    #[serde(default)]
    pub stripe_json: Vec<String>,
    #[serde(default)]
    pub stripe_csv: Vec<String>,
    #[serde(default)]
    pub calendars: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    /// Live calendar feeds of this tenant (`https://…`, `webcal://…`), fetched into the cache.
    #[serde(default)]
    pub calendar_urls: Vec<String>,
    /// Calling code of the business's country, for phone numbers written without one
    /// (`49`); default: the country its `timezone` implies, when the zone names one.
    #[serde(default)]
    pub phone_country_code: Option<String>,
    #[serde(skip)]
    pub tz: Option<chrono_tz::Tz>,
    /// `slug` once more, shared by every evidence item of this tenant.
    #[serde(skip)]
    pub key: crate::evidence::Shared,
}

impl Tenant {
    pub fn tz(&self) -> chrono_tz::Tz {
        self.tz.unwrap_or(chrono_tz::UTC)
    }

    /// The calling code national phone numbers of this business take.
    pub fn calling_code(&self) -> Option<&str> {
        self.phone_country_code
            .as_deref()
            .map(|c| c.trim_start_matches('+'))
            .or_else(|| crate::rebuild::phone::calling_code_of_zone(&self.timezone))
    }
}

impl Plan {
    /// Reads and checks a plan. Errors name the plan file and the offending key.
    pub fn load(path: &Path) -> Result<Plan> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        crate::import::live::refuse_keys_in_text(&text).map_err(|message| Error::Config {
            path: path.to_path_buf(),
            message,
        })?;
        let mut plan: Plan = toml::from_str(&text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        plan.path = path.to_path_buf();
        plan.base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        plan.validate()?;
        Ok(plan)
    }

    fn validate(&mut self) -> Result<()> {
        let err = |message: String| Error::Config {
            path: self.path.clone(),
            message,
        };
        if self.window.since >= self.window.until {
            return Err(err(format!(
                "window.since ({}) must be before window.until ({})",
                self.window.since, self.window.until
            )));
        }
        if self.tenants.is_empty() {
            return Err(err("the plan names no [[tenants]]".into()));
        }
        crate::import::live::validate(self).map_err(err)?;
        if let Some(db) = &self.database {
            if crate::load::sql::Dialect::from_kind(&db.kind).is_none() {
                return Err(err(format!(
                    "[database] kind `{}` is not sqlite, postgres or mysql",
                    db.kind
                )));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for t in &mut self.tenants {
            if !seen.insert(t.slug.clone()) {
                return Err(Error::Config {
                    path: self.path.clone(),
                    message: format!("tenant slug `{}` appears twice", t.slug),
                });
            }
            if t.slug.is_empty()
                || !t
                    .slug
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(Error::Config {
                    path: self.path.clone(),
                    message: format!(
                        "tenant slug `{}` must be letters, digits, `-` or `_` (it names a folder)",
                        t.slug
                    ),
                });
            }
            t.key = t.slug.as_str().into();
            t.tz = Some(t.timezone.parse().map_err(|_| Error::Config {
                path: self.path.clone(),
                message: format!(
                    "tenant `{}`: unknown timezone `{}` (use an IANA name such as Europe/Berlin)",
                    t.slug, t.timezone
                ),
            })?);
            t.currency = t.currency.to_ascii_uppercase();
            if crate::extract::amounts::exponent(&t.currency).is_none() {
                return Err(Error::Config {
                    path: self.path.clone(),
                    message: format!("tenant `{}`: unknown currency `{}`", t.slug, t.currency),
                });
            }
            if let Some(o) = &t.date_order {
                if !matches!(o.as_str(), "dmy" | "mdy" | "ymd") {
                    return Err(Error::Config {
                        path: self.path.clone(),
                        message: format!(
                            "tenant `{}`: date_order must be dmy, mdy or ymd, not `{o}`",
                            t.slug
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Resolves a plan-relative path.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    /// Expands plan-relative globs, sorted, each file once. A glob that matches nothing is
    /// reported by the caller (a typo in a path must not silently drop a source).
    pub fn expand(&self, patterns: &[String]) -> Result<Vec<(String, Vec<PathBuf>)>> {
        let mut out = Vec::new();
        for pat in patterns {
            let full = self.resolve(Path::new(pat));
            let full_s = full.to_string_lossy().to_string();
            let paths = glob::glob(&full_s).map_err(|e| Error::Config {
                path: self.path.clone(),
                message: format!("bad glob `{pat}`: {e}"),
            })?;
            let mut files: Vec<PathBuf> = paths.filter_map(|p| p.ok()).collect();
            files.sort();
            out.push((pat.clone(), files));
        }
        Ok(out)
    }

    pub fn tenant(&self, slug: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.slug == slug)
    }
}
