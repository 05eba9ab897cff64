//! The app's own words (buttons, status, errors) in the languages of the example surveys. Survey texts come from the
//! survey file; these are the frame around them. An unknown language falls back to English.

#[derive(Clone, Copy)]
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
    Required,
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
}

pub fn t(lang: &str, msg: Msg) -> &'static str {
    use Msg::*;
    let es = lang == "es";
    match msg {
        Back => {
            if es {
                "Atrás"
            } else {
                "Back"
            }
        }
        Next => {
            if es {
                "Siguiente"
            } else {
                "Next"
            }
        }
        Finish => {
            if es {
                "Terminar"
            } else {
                "Finish"
            }
        }
        PageOf => {
            if es {
                "Página {n} de {total}"
            } else {
                "Page {n} of {total}"
            }
        }
        SignOut => {
            if es {
                "Cerrar sesión"
            } else {
                "Sign out"
            }
        }
        Language => {
            if es {
                "Idioma"
            } else {
                "Language"
            }
        }
        AllSaved => {
            if es {
                "Todas las respuestas están guardadas"
            } else {
                "All answers saved"
            }
        }
        Saving => {
            if es {
                "Guardando…"
            } else {
                "Saving…"
            }
        }
        SavedLocally => {
            if es {
                "Guardado en esta computadora: se enviará cuando vuelva la conexión"
            } else {
                "Saved on this computer — will send when the connection is back"
            }
        }
        SignInAgain => {
            if es {
                "Guardado en esta computadora. Vuelva a ingresar su código para enviarlo."
            } else {
                "Saved on this computer. Sign in again with your code to send it."
            }
        }
        Required => {
            if es {
                "obligatoria"
            } else {
                "required"
            }
        }
        FixErrors => {
            if es {
                "Revise las preguntas marcadas antes de continuar."
            } else {
                "Please check the questions marked below before you go on."
            }
        }
        Choose => {
            if es {
                "Elija…"
            } else {
                "Choose…"
            }
        }
        DoneTitle => {
            if es {
                "¡Gracias! Ha terminado la encuesta."
            } else {
                "Thank you! You have finished the survey."
            }
        }
        DoneSynced => {
            if es {
                "Todas sus respuestas llegaron al servidor. Puede cerrar esta ventana."
            } else {
                "All your answers have reached the server. You can close this window."
            }
        }
        DonePending => {
            if es {
                "Sus respuestas están guardadas en esta computadora y se enviarán en cuanto vuelva la conexión."
            } else {
                "Your answers are saved on this computer and will be sent as soon as the connection is back."
            }
        }
        NextPerson => {
            if es {
                "Listo: siguiente persona"
            } else {
                "Done — next person"
            }
        }
        StorageFull => {
            if es {
                "El almacenamiento de este navegador está lleno: sus últimas respuestas no se pudieron guardar. Pida ayuda a la persona a cargo."
            } else {
                "This browser's storage is full, so your latest answers could not be saved on this computer. Please ask the person in charge for help."
            }
        }
        StorageFailed => {
            if es {
                "Sus últimas respuestas no se pudieron guardar en esta computadora."
            } else {
                "Your latest answers could not be saved on this computer."
            }
        }
        NotAccepted => {
            if es {
                "Algunas respuestas no fueron aceptadas: siguen guardadas en esta computadora. Revise la página marcada."
            } else {
                "Some answers were not accepted: they are kept on this computer. Please check the page shown."
            }
        }
        Refused => {
            if es {
                "El servidor no aceptó las respuestas de esta página. Revise las preguntas marcadas y continúe."
            } else {
                "The server did not accept the answers on this page. Please check the questions marked and go on."
            }
        }
        SurveyChanged => {
            if es {
                "La encuesta cambió desde que empezó. Sus respuestas siguen guardadas en esta computadora; avise a la persona a cargo."
            } else {
                "The survey has changed since you started. Your answers are kept on this computer; please tell the person in charge."
            }
        }
    }
}

/// A language's own name for the switcher.
pub fn language_name(code: &str) -> &str {
    match code {
        "en" => "English",
        "es" => "Español",
        "fr" => "Français",
        "zh" => "中文",
        "ar" => "العربية",
        "pl" => "Polski",
        _ => code,
    }
}
