//! The respondent app's own words (buttons, status, sign-in, errors about answers) in every language it speaks. Survey
//! texts come from the survey file; these are the frame around them.
//!
//! Here, not in the app, so that the survey check can tell an author at upload which survey languages the app does not
//! speak (`validate`). Each language is one exhaustive `match`: a message added without its translation does not
//! compile.

/// The languages the app speaks, by primary language subtag (`es-MX` is spoken as `es`).
pub const APP_LANGUAGES: &[&str] = &["en", "es"];

/// Whether the app has its own words in this language (or its primary subtag).
pub fn speaks(lang: &str) -> bool {
    APP_LANGUAGES.contains(&primary(lang))
}

fn primary(lang: &str) -> &str {
    lang.split('-').next().unwrap_or(lang)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    Back,
    Next,
    Finish,
    PageOf,
    SignOut,
    Language,
    AllSaved,
    Saving,
    SavedLocally,
    SignInAgain,
    FixErrors,
    Choose,
    DoneTitle,
    DoneSynced,
    DonePending,
    NextPerson,
    StorageFull,
    StorageFailed,
    NotAccepted,
    Refused,
    SurveyChanged,
    Opening,
    OtherTabTitle,
    OtherTabBody,
    NoStorageTitle,
    NoStorageBody,
    Loading,
    CompletedTitle,
    CompletedBody,
    SignInTitle,
    SignInHelp,
    AccessCode,
    Start,
    EnterCode,
    WrongCode,
    Unreachable,
    Busy,
    SignInFailed,
    SurveyMissing,
    Preview,
    PreviewFailed,
    SurveyDamaged,
}

/// A message in `lang` (English when the app does not speak it).
pub fn t(lang: &str, msg: Msg) -> &'static str {
    match primary(lang) {
        "es" => es(msg),
        _ => en(msg),
    }
}

fn en(msg: Msg) -> &'static str {
    use Msg::*;
    match msg {
        Back => "Back",
        Next => "Next",
        Finish => "Finish",
        PageOf => "Page {n} of {total}",
        SignOut => "Sign out",
        Language => "Language",
        AllSaved => "All answers saved",
        Saving => "Saving…",
        SavedLocally => "Saved on this computer — will send when the connection is back",
        SignInAgain => "Saved on this computer. Sign in again with your code to send it.",
        FixErrors => "Please check the questions marked below before you go on.",
        Choose => "Choose…",
        DoneTitle => "Thank you! You have finished the survey.",
        DoneSynced => "All your answers have reached the server. You can close this window.",
        DonePending => "Your answers are saved on this computer and will be sent as soon as the connection is back.",
        NextPerson => "Done — next person",
        StorageFull => {
            "This browser's storage is full, so your latest answers could not be saved on this computer. Please ask \
             the person in charge for help."
        }
        StorageFailed => "Your latest answers could not be saved on this computer.",
        NotAccepted => "Some answers were not accepted: they are kept on this computer. Please check the page shown.",
        Refused => "The server did not accept the answers on this page. Please check the questions marked and go on.",
        SurveyChanged => {
            "The survey has changed since you started. Your answers are kept on this computer; please tell the person \
             in charge."
        }
        Opening => "Opening…",
        OtherTabTitle => "Quire is open in another tab",
        OtherTabBody => "Continue in the other tab or window. If you close it, the survey continues here by itself.",
        NoStorageTitle => "This browser cannot keep your answers",
        NoStorageBody => "Storage is turned off or unavailable here. Please use another browser or ask for help.",
        Loading => "Loading your survey…",
        CompletedTitle => "This survey is already complete",
        CompletedBody => "The answers for this access code have been received. Thank you!",
        SignInTitle => "Sign in to your survey",
        SignInHelp => {
            "Type the access code printed on your slip (12 letters and numbers; dashes and spaces do not matter), \
             then press Start. Your answers are kept on this device as you go and sent when there is a connection."
        }
        AccessCode => "Access code",
        Start => "Start",
        EnterCode => "Enter the access code from your slip.",
        WrongCode => "This access code is not valid; check it against your slip and try again.",
        Unreachable => "The server cannot be reached. Check the connection and try again.",
        Busy => "The server is busy. Try again in a moment.",
        SignInFailed => "Signing in did not work. Try again, or ask the person in charge.",
        SurveyMissing => "The survey is not on this computer yet; connect to the internet and sign in again.",
        SurveyDamaged => "The survey file on this computer is damaged; connect to the internet and sign in again.",
        Preview => "Preview: answers stay in this tab's preview and are never sent.",
        PreviewFailed => "This version could not be opened for a preview. Sign in to the admin pages and try again.",
    }
}

fn es(msg: Msg) -> &'static str {
    use Msg::*;
    match msg {
        Back => "Atrás",
        Next => "Siguiente",
        Finish => "Terminar",
        PageOf => "Página {n} de {total}",
        SignOut => "Cerrar sesión",
        Language => "Idioma",
        AllSaved => "Todas las respuestas están guardadas",
        Saving => "Guardando…",
        SavedLocally => "Guardado en esta computadora: se enviará cuando vuelva la conexión",
        SignInAgain => "Guardado en esta computadora. Vuelva a ingresar su código para enviarlo.",
        FixErrors => "Revise las preguntas marcadas antes de continuar.",
        Choose => "Elija…",
        DoneTitle => "¡Gracias! Ha terminado la encuesta.",
        DoneSynced => "Todas sus respuestas llegaron al servidor. Puede cerrar esta ventana.",
        DonePending => "Sus respuestas están guardadas en esta computadora y se enviarán en cuanto vuelva la conexión.",
        NextPerson => "Listo: siguiente persona",
        StorageFull => {
            "El almacenamiento de este navegador está lleno: sus últimas respuestas no se pudieron guardar. Pida \
             ayuda a la persona a cargo."
        }
        StorageFailed => "Sus últimas respuestas no se pudieron guardar en esta computadora.",
        NotAccepted => {
            "Algunas respuestas no fueron aceptadas: siguen guardadas en esta computadora. Revise la página marcada."
        }
        Refused => "El servidor no aceptó las respuestas de esta página. Revise las preguntas marcadas y continúe.",
        SurveyChanged => {
            "La encuesta cambió desde que empezó. Sus respuestas siguen guardadas en esta computadora; avise a la \
             persona a cargo."
        }
        Opening => "Abriendo…",
        OtherTabTitle => "Quire está abierto en otra pestaña",
        OtherTabBody => "Continúe en la otra pestaña o ventana. Si la cierra, la encuesta continúa aquí sola.",
        NoStorageTitle => "Este navegador no puede guardar sus respuestas",
        NoStorageBody => "El almacenamiento está desactivado o no disponible aquí. Use otro navegador o pida ayuda.",
        Loading => "Cargando su encuesta…",
        CompletedTitle => "Esta encuesta ya está completa",
        CompletedBody => "Las respuestas de este código de acceso ya se recibieron. ¡Gracias!",
        SignInTitle => "Ingrese a su encuesta",
        SignInHelp => {
            "Escriba el código de acceso impreso en su hoja (12 letras y números; los guiones y espacios no importan) \
             y pulse Comenzar. Sus respuestas se guardan en este dispositivo y se envían cuando hay conexión."
        }
        AccessCode => "Código de acceso",
        Start => "Comenzar",
        EnterCode => "Escriba el código de acceso de su hoja.",
        WrongCode => "Este código de acceso no es válido; compárelo con su hoja e intente de nuevo.",
        Unreachable => "No se puede conectar con el servidor. Revise la conexión e intente de nuevo.",
        Busy => "El servidor está ocupado. Intente de nuevo en un momento.",
        SignInFailed => "No se pudo ingresar. Intente de nuevo o pida ayuda a la persona a cargo.",
        SurveyMissing => "La encuesta aún no está en esta computadora; conéctese a internet e ingrese de nuevo.",
        SurveyDamaged => {
            "El archivo de la encuesta en esta computadora está dañado; conéctese a internet e ingrese de nuevo."
        }
        Preview => "Vista previa: las respuestas quedan en esta vista y nunca se envían.",
        PreviewFailed => "No se pudo abrir esta versión. Inicie sesión en la administración e inténtelo de nuevo.",
    }
}

/// What is wrong with an answer, for the respondent: `AnswerError::problem` carries it so the app can say it in the
/// language on screen (the error's `message` is the English text, for API users and logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Required,
    RowRequired,
    NotAChoice {
        code: String,
    },
    SelectedTwice {
        code: String,
    },
    SelectAtLeast {
        n: u32,
    },
    SelectAtMost {
        n: u32,
    },
    NotOnScale {
        code: String,
    },
    NoStatement {
        statement: String,
    },
    TooLong {
        length: usize,
        max: u32,
    },
    NotFinite,
    NotWhole,
    NotADate,
    /// The answer breaks the question's constraint; the survey's message for it, if it has one.
    Constraint {
        message: Option<crate::text::Text>,
        default_language: String,
    },
    /// A required answer is missing and the survey says how to ask for it.
    RequiredSaying {
        message: crate::text::Text,
        default_language: String,
    },
    AtLeast {
        min: String,
    },
    AtMost {
        max: String,
    },
    WrongKind {
        question: String,
        answer: String,
    },
    /// The server refused the answer where the app saw nothing wrong (a survey or app version mismatch).
    Refused,
}

impl Problem {
    pub fn text(&self, lang: &str) -> String {
        use Problem::*;
        let es = primary(lang) == "es";
        match (self, es) {
            (Required, false) => "this question is required".into(),
            (Required, true) => "esta pregunta es obligatoria".into(),
            (RowRequired, false) => "every statement needs an answer".into(),
            (RowRequired, true) => "cada enunciado necesita una respuesta".into(),
            (NotAChoice { code }, false) => format!("`{code}` is not one of the choices"),
            (NotAChoice { code }, true) => format!("«{code}» no es una de las opciones"),
            (SelectedTwice { code }, false) => format!("`{code}` is selected twice"),
            (SelectedTwice { code }, true) => format!("«{code}» está elegida dos veces"),
            (SelectAtLeast { n }, false) => format!("select at least {n}"),
            (SelectAtLeast { n }, true) => format!("elija al menos {n}"),
            (SelectAtMost { n }, false) => format!("select at most {n}"),
            (SelectAtMost { n }, true) => format!("elija como máximo {n}"),
            (NotOnScale { code }, false) => format!("`{code}` is not on the scale"),
            (NotOnScale { code }, true) => format!("«{code}» no está en la escala"),
            (NoStatement { statement }, false) => format!("no statement `{statement}` in this question"),
            (NoStatement { statement }, true) => format!("no hay enunciado «{statement}» en esta pregunta"),
            (TooLong { length, max }, false) => format!("{length} characters, at most {max} allowed"),
            (TooLong { length, max }, true) => format!("{length} caracteres; se permiten como máximo {max}"),
            (NotFinite, false) => "not a finite number".into(),
            (NotFinite, true) => "no es un número finito".into(),
            (NotWhole, false) => "must be a whole number".into(),
            (NotWhole, true) => "debe ser un número entero".into(),
            (NotADate, false) => "not a date".into(),
            (NotADate, true) => "no es una fecha".into(),
            (Constraint { message: Some(m), default_language }, _) => m.get(lang, default_language).to_owned(),
            (Constraint { message: None, .. }, false) => "this answer is not accepted".into(),
            (Constraint { message: None, .. }, true) => "esta respuesta no es válida".into(),
            (RequiredSaying { message, default_language }, _) => message.get(lang, default_language).to_owned(),
            (AtLeast { min }, false) => format!("must be at least {min}"),
            (AtLeast { min }, true) => format!("debe ser como mínimo {min}"),
            (AtMost { max }, false) => format!("must be at most {max}"),
            (AtMost { max }, true) => format!("debe ser como máximo {max}"),
            (WrongKind { question, answer }, false) => format!("a {question} question cannot take a `{answer}` answer"),
            (WrongKind { question, answer }, true) => {
                format!("una pregunta de tipo {question} no admite una respuesta «{answer}»")
            }
            (Refused, false) => "the server did not accept this answer; please check it".into(),
            (Refused, true) => "el servidor no aceptó esta respuesta; revísela".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_message_and_regional_tags_use_their_language() {
        // The exhaustive matches guarantee presence; this checks no translation was left as the English text.
        for msg in [Msg::SignInTitle, Msg::EnterCode, Msg::SavedLocally, Msg::NotAccepted, Msg::Opening] {
            assert_ne!(t("es", msg), t("en", msg), "{msg:?}");
            assert_eq!(t("es-MX", msg), t("es", msg));
        }
        assert_eq!(t("fr", Msg::Next), "Next");
        assert!(speaks("es-MX") && speaks("en") && !speaks("fr"));
        assert_eq!(Problem::Required.text("es"), "esta pregunta es obligatoria");
        assert_eq!(Problem::AtLeast { min: "5".into() }.text("en"), "must be at least 5");
    }
}
