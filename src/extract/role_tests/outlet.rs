//! The outlet's lines of prose beside the story, in a container of their own: a pitch, a
//! credit, a disclosure, an "about" paragraph. They read as sentences in any language and
//! their words change; their place gives them away. Lines of the story in a container of
//! their own inside the story's stay.

use super::*;

const DE: &[&str] = &[
    "Der Stadtrat hat am Dienstag beschlossen, die alte Hafenbrücke neu zu bauen, und damit \
     einen Streit beendet, der die Stadt fast zehn Jahre lang gespalten hat.",
    "Ingenieure hatten im vergangenen Jahr gewarnt, dass das Bauwerk für schwere Lastwagen \
     nicht mehr sicher sei, und seit dem Frühjahr ist die Brücke für sie gesperrt.",
    "Die neue Brücke soll zwei Fahrspuren und einen eigenen Weg für Radfahrer und \
     Fußgänger haben, wie aus den vom Rat gebilligten Plänen hervorgeht.",
    "Die Arbeiten sollen Anfang nächsten Jahres beginnen und etwa achtzehn Monate dauern, \
     in denen eine Fähre die Fahrgäste über den Fluss bringt.",
    "Mehrere Anwohner begrüßten die Entscheidung, sorgen sich aber um den Lärm und die \
     Kosten, die der Rat auf rund vierzig Millionen schätzt.",
];

/// A container of its own beside the story, holding `lines` as paragraphs.
fn aside(class: &str, lines: &[&str]) -> String {
    let ps: String = lines.iter().map(|l| format!("<p>{l}</p>")).collect();
    format!("<div class=\"{class}\">{ps}</div>")
}

#[test]
fn a_pitch_after_the_story_goes_whatever_its_words() {
    assert_dropped(
        EN,
        At::Bottom,
        &aside(
            "promo",
            &[
                "Get the day's top headlines delivered to your inbox every morning by \
               subscribing to our newsletter.",
            ],
        ),
        &aside(
            "promo",
            &[
                "Members get all of our stories, no paywalls and unique access to our \
               writers and editors. Join today.",
            ],
        ),
    );
    assert_dropped(
        PT,
        At::Bottom,
        &aside(
            "box-news",
            &[
                "Receba as principais notícias do dia no seu email todas as manhãs, \
                 assinando a nossa newsletter.",
                "A empresa está presente em dezoito países e emprega cerca de mil pessoas.",
            ],
        ),
        &aside(
            "box-news",
            &[
                "Assine o jornal e leia todas as reportagens sem limites, com acesso \
                 exclusivo aos nossos jornalistas.",
                "A empresa está presente em vinte países e emprega cerca de duas mil pessoas.",
            ],
        ),
    );
}

/// The outlet's line in the story's own container, known by a class of its own where
/// the story's paragraphs share one.
#[test]
fn a_line_after_the_story_with_a_class_of_its_own_goes() {
    let classed = |paras: &[&str], last: &str| {
        let ps: String = paras
            .iter()
            .map(|p| format!("<p class=\"css-ab12x\">{p}</p>"))
            .collect();
        format!(
            "<html><head><title>Brücke | Zeitung</title></head><body><div class=\"story\">\
             <h1>Brücke</h1><div class=\"text\">{ps}<p class=\"css-cd34y\">{last}</p></div>\
             </div></body></html>"
        )
    };
    for last in [
        "Anna Schmidt hat aus Hamburg zu diesem Bericht beigetragen.",
        "Jonas Weber hat aus Bremen und Kiel zu diesem Bericht beigetragen.",
    ] {
        let copy = extract(&classed(DE, last), &Options::default()).unwrap();
        assert_eq!(copy.paragraphs, DE, "{last}");
    }
    // A paragraph of the story with a class of its own (its lead, moved to the end) stays.
    let copy = extract(&classed(&DE[1..], DE[0]), &Options::default()).unwrap();
    let mut moved = DE[1..].to_vec();
    moved.push(DE[0]);
    assert_eq!(copy.paragraphs, moved);
}

/// The story's last paragraphs wrapped in a `<div>` inside the story's container, and a
/// story told in several containers alike, are the story.
#[test]
fn the_storys_own_containers_stay() {
    let nested = format!(
        "<html><head><title>Harbour bridge | Daily</title></head><body>\
         <div class=\"story\"><h1>Harbour bridge</h1><div class=\"text\">{}<div><p>{}</p></div>\
         </div></div></body></html>",
        EN[..4]
            .iter()
            .map(|p| format!("<p>{p}</p>"))
            .collect::<String>(),
        EN[4]
    );
    let copy = extract(&nested, &Options::default()).unwrap();
    assert_eq!(copy.paragraphs, EN);

    let split = format!(
        "<html><head><title>Ponte | Diário</title></head><body>\
         <div class=\"story\"><h1>Ponte</h1>{}{}</div></body></html>",
        aside("free", &PT[..2]),
        aside("paywall", &PT[2..])
    );
    let copy = extract(&split, &Options::default()).unwrap();
    assert_eq!(copy.paragraphs, PT);
}

#[test]
fn a_call_to_action_box_goes_whatever_its_words() {
    // A `cta` ("call to action") box after the story: a membership pitch, shown twice
    // (for wide and narrow screens), with a title of its own.
    let cta = |title: &str, pitch: &str| {
        format!(
            "<div class=\"members-cta-wrap\"><h4>{title}</h4>\
             <div class=\"members-cta--desktop\"><p>{pitch}</p></div>\
             <div class=\"members-cta--mobile\"><p>{pitch}</p></div></div>"
        )
    };
    assert_dropped(
        EN,
        At::Bottom,
        &cta(
            "Something to consider",
            "If you enjoyed this article, we have a proposition for you: join us. Members \
             get all of our stories and unique access to our writers.",
        ),
        &cta(
            "Before you go",
            "If you liked this story, become a member: no paywalls, no meters, and a \
             monthly call with our editors.",
        ),
    );
    assert_dropped(
        DE,
        At::Bottom,
        &cta(
            "Unterstützen Sie uns",
            "Wenn Ihnen dieser Artikel gefallen hat, werden Sie Mitglied: Sie lesen alle \
             unsere Texte ohne Bezahlschranke.",
        ),
        &cta(
            "Noch ein Wort",
            "Hat Ihnen der Text gefallen? Als Mitglied erhalten Sie alle Artikel und \
             Einladungen zu unseren Veranstaltungen.",
        ),
    );
}

#[test]
fn a_copyright_line_goes_whatever_words_surround_its_sign() {
    // The opening word replaced, the sign stays: `ⓒ` in Korean, `©` elsewhere.
    assert_dropped(
        EN,
        At::Bottom,
        "<p>Harbour Daily © 2024. Reproduction without permission is prohibited.</p>",
        "<p>Owned by Harbour Media Group © 2025, reproduction prohibited.</p>",
    );
    assert_dropped(
        PT,
        At::Bottom,
        "<div>저작권자 ⓒ 항구일보, 무단전재 및 재배포금지</div>",
        "<div>항구미디어 ⓒ harbour.example. 무단전재 및 재배포 금지</div>",
    );
}
