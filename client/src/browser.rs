//! The browser APIs the app uses beyond the DOM: clocks, timers that can be woken early, the Web Locks API,
//! persistent storage, per-tab session storage and the service worker. Reached through `js_sys::Reflect` where
//! web-sys has them only behind unstable flags.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn window() -> web_sys::Window {
    web_sys::window().expect("the app runs in a window")
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub fn now() -> time::OffsetDateTime {
    let nanos = (now_ms() * 1_000_000.0) as i128;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

pub fn random() -> f64 {
    js_sys::Math::random()
}

pub fn online() -> bool {
    window().navigator().on_line()
}

/// Why a sleeping sync loop was woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Wake {
    /// The time was up.
    Timeout,
    /// A new save waits to be sent.
    Saved,
    /// The browser says the network is back.
    Online,
}

/// A sleep that `wake` cuts short: the sync loop waits on it, new saves and the `online` event wake it.
#[derive(Clone, Default)]
pub struct Alarm {
    inner: Rc<RefCell<AlarmState>>,
}

#[derive(Default)]
struct AlarmState {
    resolve: Option<Function>,
    /// The strongest reason given since the last sleep ended.
    woken: Option<Wake>,
}

impl Alarm {
    /// Waits `ms` milliseconds or until `wake`, whichever comes first; returns at once if woken meanwhile.
    pub async fn sleep(&self, ms: f64) -> Wake {
        let promise = {
            let mut state = self.inner.borrow_mut();
            if let Some(reason) = state.woken.take() {
                return reason;
            }
            Promise::new(&mut |resolve: Function, _| {
                let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms.max(0.0) as i32);
                state.resolve = Some(resolve);
            })
        };
        let _ = JsFuture::from(promise).await;
        let mut state = self.inner.borrow_mut();
        state.resolve = None;
        state.woken.take().unwrap_or(Wake::Timeout)
    }

    pub fn wake(&self, reason: Wake) {
        let mut state = self.inner.borrow_mut();
        state.woken = state.woken.max(Some(reason));
        if let Some(resolve) = state.resolve.take() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    }
}

/// Calls `f` whenever the browser says the network is back.
pub fn on_online(f: impl Fn() + 'static) {
    let closure = Closure::<dyn Fn()>::new(f);
    let _ = window().add_event_listener_with_callback("online", closure.as_ref().unchecked_ref());
    closure.forget(); // lives as long as the page
}

/// Calls `f` when the page is hidden or about to go away (tab switch, close, navigation): a last chance to write.
pub fn on_hide(f: impl Fn() + 'static) {
    let f = Rc::new(f);
    let g = f.clone();
    let hide = Closure::<dyn Fn()>::new(move || g());
    let visibility = Closure::<dyn Fn()>::new(move || {
        if window().document().is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden) {
            f();
        }
    });
    let _ = window().add_event_listener_with_callback("pagehide", hide.as_ref().unchecked_ref());
    if let Some(doc) = window().document() {
        let _ = doc.add_event_listener_with_callback("visibilitychange", visibility.as_ref().unchecked_ref());
    }
    hide.forget();
    visibility.forget();
}

/// Holds the browser-wide lock that makes one tab the only writer and syncer. Returns `true` at once when this tab
/// has it; otherwise calls `waiting` and returns when the other tab goes away. Browsers without Web Locks get `true`.
///
/// Why a lock rather than BroadcastChannel merging: two tabs editing the same page would each hold a copy of the
/// answers, and any merge would drop one of them. With one live tab there is one copy, one revision counter and one
/// request in flight; the second tab says so and takes over by itself when the first one closes.
pub async fn hold_app_lock(waiting: impl FnOnce()) -> bool {
    let navigator = window().navigator();
    let locks = Reflect::get(&navigator, &"locks".into()).unwrap_or(JsValue::UNDEFINED);
    let Ok(request) = Reflect::get(&locks, &"request".into()).and_then(|r| r.dyn_into::<Function>()) else {
        return true;
    };
    let attempt = |if_available: bool| -> Promise {
        Promise::new(&mut |granted: Function, _| {
            let callback = Closure::once_into_js(move |lock: JsValue| -> Promise {
                let _ = granted.call1(&JsValue::NULL, &JsValue::from_bool(!lock.is_null()));
                if lock.is_null() {
                    Promise::resolve(&JsValue::NULL)
                } else {
                    Promise::new(&mut |_, _| {}) // never settles: held until the tab closes
                }
            });
            let options = Object::new();
            let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::from_bool(if_available));
            let _ = request.call3(&locks, &"quire-app".into(), &options, &callback);
        })
    };
    if JsFuture::from(attempt(true)).await.ok().and_then(|v| v.as_bool()) == Some(true) {
        return true;
    }
    waiting();
    JsFuture::from(attempt(false)).await.ok().and_then(|v| v.as_bool()) == Some(true)
}

/// Asks the browser not to evict this site's storage under pressure (`navigator.storage.persist()`).
pub async fn request_persistence() -> bool {
    let storage = Reflect::get(&window().navigator(), &"storage".into()).unwrap_or(JsValue::UNDEFINED);
    let Ok(persist) = Reflect::get(&storage, &"persist".into()).and_then(|f| f.dyn_into::<Function>()) else {
        return false;
    };
    match persist.call0(&storage).map(|p| p.dyn_into::<Promise>()) {
        Ok(Ok(p)) => JsFuture::from(p).await.ok().and_then(|v| v.as_bool()).unwrap_or(false),
        _ => false,
    }
}

/// Per-tab storage: survives a reload, ends with the tab. Holds who is signed in here, so that the next person to open
/// Quire on a shared computer gets the sign-in screen, not the last respondent's survey.
pub mod tab {
    fn storage() -> Option<web_sys::Storage> {
        super::window().session_storage().ok().flatten()
    }
    pub fn get(key: &str) -> Option<String> {
        storage()?.get_item(key).ok().flatten()
    }
    pub fn set(key: &str, value: &str) {
        if let Some(s) = storage() {
            let _ = s.set_item(key, value);
        }
    }
    pub fn remove(key: &str) {
        if let Some(s) = storage() {
            let _ = s.remove_item(key);
        }
    }
}

/// The `code` query parameter of the page's URL (links printed on code slips), removed from the address bar so it is
/// not left in the history of a shared computer.
/// A parameter of the page's address.
pub fn query_param(name: &str) -> Option<String> {
    let search = window().location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search).ok()?.get(name)
}

pub fn take_code_param() -> Option<String> {
    let location = window().location();
    let params = web_sys::UrlSearchParams::new_with_str(&location.search().ok()?).ok()?;
    let code = params.get("code")?;
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&location.pathname().unwrap_or_default()));
    }
    Some(code)
}

/// Registers the service worker that serves the app shell offline.
pub fn register_service_worker() {
    let container = window().navigator().service_worker();
    let _ = container.register("/sw.js");
}

/// Moves keyboard and screen-reader focus to an element (the page heading after a page turn).
pub fn focus(id: &str) {
    if let Some(el) = window().document().and_then(|d| d.get_element_by_id(id)) {
        if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
            let _ = el.focus();
        }
    }
    window().scroll_to_with_x_and_y(0.0, 0.0);
}

/// Moves focus to the first question marked invalid on the page (its first input), so that a keyboard or
/// screen-reader user lands on what to fix; the error summary above it is announced as an alert.
pub fn focus_first_invalid() {
    let Some(doc) = window().document() else { return };
    let questions = doc.query_selector_all("form.page .q:not([hidden])").ok();
    let first =
        questions.into_iter().flat_map(|list| (0..list.length()).filter_map(move |i| list.item(i))).find_map(|q| {
            let q = q.dyn_into::<web_sys::Element>().ok()?;
            let invalid = q.get_attribute("aria-invalid").as_deref() == Some("true")
                || q.query_selector("[aria-invalid=true]").ok().flatten().is_some();
            if !invalid {
                return None;
            }
            // A matrix: the first row without an answer; otherwise the question's first input.
            let row = q.query_selector("tr[aria-invalid=true] input").ok().flatten();
            row.or_else(|| q.query_selector("input, select, textarea").ok().flatten())
        });
    match first.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        Some(el) => {
            let _ = el.focus();
        }
        None => focus("error-summary"),
    }
}

/// High-resolution time for measuring page turns (`performance.now()`).
pub fn perf_now() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// Records a page turn's script time as a `performance.measure` entry named `quire-page-turn` (read by the
/// benchmark in `e2e/bench`).
pub fn record_page_turn(start: f64) {
    if let Some(p) = window().performance() {
        let options = Object::new();
        let _ = Reflect::set(&options, &"start".into(), &JsValue::from_f64(start));
        let _ = Reflect::set(&options, &"end".into(), &JsValue::from_f64(p.now()));
        if let Ok(measure) = Reflect::get(&p, &"measure".into()).and_then(|f| f.dyn_into::<Function>()) {
            let _ = measure.call2(&p, &"quire-page-turn".into(), &options);
        }
    }
}
