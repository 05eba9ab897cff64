//! Quire's respondent app: signs in with an access code, downloads the survey once, and (issue 3) runs it offline.
//! This is the first slice: sign-in and the survey download, through the shared protocol types.

use quire_client::App;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
