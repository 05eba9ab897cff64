//! What every question kind shares: its ids, label, help, error, visibility, and the answer held.

use std::sync::Arc;

use leptos::prelude::*;
use quire_shared::{AnswerValue, Question, Text};

use crate::run::Run;

#[derive(Clone)]
pub struct Field {
    pub run: Run,
    pub page_id: Arc<str>,
    pub qid: Arc<str>,
    question: Arc<Question>,
    pub required: bool,
}

impl Field {
    pub fn new(run: Run, page_id: Arc<str>, q: &Question) -> Self {
        Field { run, page_id, qid: q.id.as_str().into(), question: Arc::new(q.clone()), required: q.required }
    }

    /// The `data-kind` of the question's element.
    pub fn kind(&self) -> &'static str {
        self.question.kind.name()
    }

    /// A survey text in the language on screen.
    pub fn text(&self, t: &Text) -> impl Fn() -> String + Send + Sync + 'static {
        text(self.run, t)
    }

    pub fn visible(&self) -> impl Fn() -> bool + Send + Sync + 'static {
        let (run, q) = (self.run, self.question.clone());
        move || run.question_visible(&q)
    }

    pub fn err_id(&self) -> String {
        format!("q-{}-err", self.qid)
    }

    fn help_id(&self) -> String {
        format!("q-{}-help", self.qid)
    }

    pub fn describedby(&self) -> String {
        if self.question.help.is_some() {
            format!("{} {}", self.help_id(), self.err_id())
        } else {
            self.err_id()
        }
    }

    pub fn error(&self) -> impl Fn() -> Option<String> + Clone + Send + Sync + 'static {
        let (run, qid) = (self.run, self.qid.clone());
        move || run.error_for(&qid)
    }

    pub fn invalid(&self) -> impl Fn() -> Option<&'static str> + Send + Sync + 'static {
        let error = self.error();
        move || error().is_some().then_some("true")
    }

    pub fn help(&self) -> Option<impl IntoView> {
        let id = self.help_id();
        self.question.help.as_ref().map(|h| view! { <p class="help" id=id>{self.text(h)}</p> })
    }

    pub fn label(&self) -> impl IntoView {
        view! {
            {self.text(&self.question.text)}
            {self.required.then(|| view! { <span class="req" aria-hidden="true">" *"</span> })}
        }
    }

    pub fn error_view(&self) -> impl IntoView {
        view! { <p class="error" id=self.err_id()>{self.error()}</p> }
    }

    /// The answer held for this question.
    pub fn current(&self) -> impl Fn() -> Option<AnswerValue> + Clone + Send + Sync + 'static {
        let (run, page_id, qid) = (self.run, self.page_id.clone(), self.qid.clone());
        move || run.answer(&page_id, &qid)
    }

    /// Whether a choice is offered, given the answers so far (the question's choice filter).
    pub fn offered(&self, choice: &quire_shared::Choice) -> impl Fn() -> bool + Send + Sync + 'static {
        let (run, q, choice) = (self.run, self.question.clone(), choice.clone());
        move || run.choice_offered(&q, &choice)
    }

    /// Whether `code` is the one answer held (single choice, dropdown).
    pub fn chosen(&self, code: String) -> impl Fn() -> bool + Send + Sync + 'static {
        let current = self.current();
        move || matches!(current(), Some(AnswerValue::Choice(x)) if x == code)
    }

    /// Holds a new answer (`None`: no answer).
    pub fn set(&self) -> impl Fn(Option<AnswerValue>) + Clone + Send + Sync + 'static {
        let (run, page_id, qid) = (self.run, self.page_id.clone(), self.qid.clone());
        move |value: Option<AnswerValue>| run.set_answer(&page_id, &qid, value)
    }

    /// A group of inputs (choices, Likert rows): a fieldset whose legend is the question.
    pub fn fieldset(&self, class: &'static str, body: impl IntoView + 'static) -> AnyView {
        let visible = self.visible();
        view! {
            <fieldset class=class data-kind=self.kind() data-question=self.qid.to_string() hidden=move || !visible()
                inert=self.question.read_only
                aria-describedby=self.describedby() aria-invalid=self.invalid()>
                <legend>{self.label()}</legend>
                {self.help()}
                {body}
            </fieldset>
        }
        .into_any()
    }

    /// One input with a label that names it (`for=id`).
    pub fn labelled(&self, id: String, input: impl IntoView + 'static) -> AnyView {
        let visible = self.visible();
        view! {
            <div class="q" data-kind=self.kind() data-question=self.qid.to_string() hidden=move || !visible()
                inert=self.question.read_only>
                <label for=id>{self.label()}</label>
                {self.help()}
                {input}
                {self.error_view()}
            </div>
        }
        .into_any()
    }
}

/// A survey text in the language on screen, with the answers it pipes in (`${name}`) as they stand.
pub fn text(run: Run, t: &Text) -> impl Fn() -> String + Send + Sync + 'static {
    let (t, pipes) = (t.clone(), t.pipes());
    let default = run.default_language();
    move || {
        let shown = t.get(&run.lang.get(), &default);
        if pipes {
            quire_shared::text::pipe(shown, |name| run.piped(name))
        } else {
            shown.to_owned()
        }
    }
}
