//! Which screen is up, and the per-tab keys that decide it after a reload.

use crate::run::Run;
use crate::ui::Msg;

/// Per-tab key naming the respondent signed in on this tab.
pub const TAB_RESPONDENT: &str = "quire.respondent";
/// Per-tab key set when this tab's respondent has finished (its value: the language they used), so that a reload of
/// the thank-you screen says they have finished even after their local data was deleted, instead of asking for a
/// code. Cleared by "next person" and by any sign-in.
pub const TAB_FINISHED: &str = "quire.finished";

// One value, held in one signal: the size of the largest variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Screen {
    Starting,
    /// Another tab of this browser has the app open.
    OtherTab,
    SignIn {
        error: Option<Msg>,
    },
    Loading,
    Survey(Run),
    AlreadyCompleted,
    /// This tab's respondent finished; their local data may already be gone. The language they used.
    Finished(String),
    /// IndexedDB cannot be opened (e.g. disabled by policy): nothing could be kept safe.
    NoStorage(String),
    /// Nothing to show but a message (a preview that could not open).
    Problem(Msg),
}
