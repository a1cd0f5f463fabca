//! Page furniture recognised by its role, in English and in other languages: each case
//! puts one piece of furniture on a story page, changes it the way a live site does (a
//! date moved, a counter ticking, other words), and checks that both versions give
//! exactly the story's paragraphs. Also: a site's template learned across its articles,
//! and a paragraph of the body without its neighbours' markup.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use super::*;

mod beside;
mod images;
mod outlet;
mod places;
mod runs;

const EN: &[&str] = &[
    "The city council voted on Tuesday to rebuild the old harbour bridge, ending a debate \
     that had divided the town for almost a decade.",
    "Engineers had warned last year that the structure was no longer safe for heavy \
     lorries, and the bridge has been closed to them since the spring.",
    "The new bridge will carry two lanes of traffic and a separate path for cyclists and \
     walkers, according to the plans approved by the council.",
    "Work is expected to begin early next year and to last about eighteen months, during \
     which a temporary ferry will carry passengers across the river.",
    "Several residents said they welcomed the decision but worried about the noise and \
     the cost, which the council has put at about forty million.",
];

const PT: &[&str] = &[
    "A câmara municipal aprovou na terça-feira a reconstrução da velha ponte do porto, \
     pondo fim a um debate que dividia a cidade havia quase uma década.",
    "Os engenheiros tinham avisado no ano passado que a estrutura já não era segura para \
     camiões pesados, e a ponte está fechada a esses veículos desde a primavera.",
    "A nova ponte terá duas faixas de rodagem e um caminho separado para ciclistas e \
     peões, segundo os planos aprovados pela câmara.",
    "As obras devem começar no início do próximo ano e durar cerca de dezoito meses, \
     período em que um barco provisório fará a travessia do rio.",
    "Vários moradores disseram que aprovam a decisão, mas mostraram preocupação com o \
     ruído e com o custo, que a câmara estima em cerca de quarenta milhões.",
];

/// A story page: `top` between the headline and the story, `inside` after its second
/// paragraph, `bottom` after its last.
fn page(paras: &[&str], top: &str, inside: &str, bottom: &str) -> String {
    let mut body = String::new();
    for (i, p) in paras.iter().enumerate() {
        body.push_str(&format!("<p>{p}</p>"));
        if i == 1 {
            body.push_str(inside);
        }
    }
    format!(
        "<html><head><title>Harbour bridge | Daily</title></head><body>\
         <div class=\"story\"><h1>Harbour bridge</h1>{top}<div class=\"text\">{body}</div>\
         {bottom}</div></body></html>"
    )
}

#[derive(Clone, Copy)]
enum At {
    Top,
    Inside,
    Bottom,
}

/// Both versions of the furniture give exactly the story's paragraphs.
fn assert_dropped(paras: &[&str], at: At, v1: &str, v2: &str) {
    for furniture in [v1, v2] {
        let html = match at {
            At::Top => page(paras, furniture, "", ""),
            At::Inside => page(paras, "", furniture, ""),
            At::Bottom => page(paras, "", "", furniture),
        };
        let copy = extract(&html, &Options::default()).unwrap();
        assert_eq!(copy.paragraphs, paras, "furniture: {furniture}");
    }
}

#[test]
fn captions() {
    let img = |caption: &str| {
        format!("<div class=\"media\"><img src=\"/b.jpg\" alt=\"\"><p>{caption}</p></div>")
    };
    assert_dropped(
        EN,
        At::Inside,
        &img("The old bridge seen from the harbour on Monday."),
        &img("Council members visit the harbour bridge on Tuesday."),
    );
    assert_dropped(
        PT,
        At::Inside,
        &img("A velha ponte vista do porto na segunda-feira."),
        &img("Vereadores visitam a ponte do porto na terça-feira."),
    );
}

#[test]
fn credits() {
    let credit = |c: &str| format!("<div><img src=\"/b.jpg\"><span>{c}</span></div>");
    assert_dropped(
        EN,
        At::Top,
        &credit("Photo: Jane Smith / Reuters"),
        &credit("Photo: AFP via Getty Images"),
    );
    assert_dropped(
        PT,
        At::Top,
        &credit("Foto: Ana Lima / Agência"),
        &credit("Imagem: Rui Costa / Lusa"),
    );
}

#[test]
fn bylines_with_a_date() {
    assert_dropped(
        EN,
        At::Top,
        "<div><span>By Jane Smith</span> <span>March 3, 2024 10:15</span></div>",
        "<div><span>By John Brown</span> <span>March 4, 2024 11:15</span></div>",
    );
    assert_dropped(
        PT,
        At::Top,
        "<p>Por <a rel=\"author\" href=\"/a\">Ana Lima</a></p>\
         <p><time datetime=\"2018-01-22\">22/01/2018 às 10h13</time></p>",
        "<p>Por <a rel=\"author\" href=\"/r\">Rui Costa</a> e Ana Lima</p>\
         <p><time datetime=\"2018-01-23\">23/01/2018 às 11h14</time></p>",
    );
    // Marked up as schema.org metadata, in German.
    let meta = |who: &str, when: &str| {
        format!(
            "<div><span itemprop=\"author\">{who}</span>, \
             <span itemprop=\"datePublished\">{when}</span></div>"
        )
    };
    assert_dropped(
        PT,
        At::Top,
        &meta("Von Hans Müller", "3. März 2024"),
        &meta("Von Eva Schulz", "4. März 2024"),
    );
}

#[test]
fn bios() {
    assert_dropped(
        EN,
        At::Bottom,
        "<div class=\"author-bio\"><p>Jane Smith covers transport for the paper. She \
         joined in 2015.</p></div>",
        "<div class=\"author-bio\"><p>John Brown covers local politics for the paper. \
         He joined in 2019.</p></div>",
    );
    assert_dropped(
        PT,
        At::Bottom,
        "<div itemprop=\"author\" itemscope><p>Ana Lima é repórter de economia do jornal \
         desde 2015.</p></div>",
        "<div itemprop=\"author\" itemscope><p>Rui Costa é repórter de política do jornal \
         desde 2019.</p></div>",
    );
}

#[test]
fn reading_time_lines() {
    assert_dropped(
        EN,
        At::Top,
        "<p class=\"reading-time\">5 min read</p>",
        "<p class=\"reading-time\">6 min read</p>",
    );
    assert_dropped(
        PT,
        At::Top,
        "<span class=\"readTime\">Leitura: 4 min</span>",
        "<span class=\"readTime\">Leitura: 5 min</span>",
    );
    // In German, as schema.org's `timeRequired`.
    assert_dropped(
        PT,
        At::Inside,
        "<div><span itemprop=\"timeRequired\">Lesezeit: 4 Minuten</span></div>",
        "<div><span itemprop=\"timeRequired\">Lesezeit: 5 Minuten</span></div>",
    );
}

#[test]
fn gallery_counters() {
    assert_dropped(
        EN,
        At::Inside,
        "<div><img src=\"/1.jpg\"><span>Image 3 of 12</span></div>",
        "<div><img src=\"/1.jpg\"><span>Image 4 of 13</span></div>",
    );
    assert_dropped(
        PT,
        At::Inside,
        "<div class=\"gallery-counter\">Foto 3 de 12</div>",
        "<div class=\"gallery-counter\">Foto 4 de 13</div>",
    );
}

#[test]
fn teaser_lists() {
    let list = |title: &str, items: &[&str]| {
        let lis: String = items
            .iter()
            .map(|i| format!("<li><a href=\"/n/{}\">{i}</a></li>", i.len()))
            .collect();
        format!("<div><strong>{title}</strong><ul>{lis}</ul></div>")
    };
    assert_dropped(
        EN,
        At::Inside,
        &list(
            "Most read",
            &["Star striker signs for 45 million", "Rail fares up 3%"],
        ),
        &list(
            "Most read",
            &[
                "Central bank holds rates at 4.5%",
                "Ferry fleet goes electric",
            ],
        ),
    );
    assert_dropped(
        PT,
        At::Inside,
        &list(
            "Mais lidas",
            &["Avançado assina por 45 milhões", "Passes sobem 3%"],
        ),
        &list(
            "Leia também",
            &["Banco central mantém juros em 4,5%", "Ferries elétricos"],
        ),
    );
}

#[test]
fn a_box_title_goes_with_its_links() {
    let boxed = |title: &str, a: &str, b: &str| {
        format!(
            "<div><p><b>{title}</b></p><p><a href=\"/a\">{a}</a></p>\
             <p><a href=\"/b\">{b}</a></p></div>"
        )
    };
    assert_dropped(
        EN,
        At::Inside,
        &boxed(
            "Read more",
            "Tech giant signs deal",
            "Ferry fleet goes electric",
        ),
        &boxed("Read more", "Central bank holds rates", "Bakery to close"),
    );
    assert_dropped(
        PT,
        At::Inside,
        &boxed("Leia também", "Banco central mantém juros", "Padaria fecha"),
        &boxed(
            "Lire aussi",
            "Ferries elétricos",
            "Vereadores aprovam plano",
        ),
    );
}

#[test]
fn other_stories_in_their_own_articles_go() {
    let teaser = |title: &str, text: &str| {
        format!(
            "<article class=\"post\"><h3><a href=\"/t\">{title}</a></h3>\
             <p>{text}</p></article>"
        )
    };
    for (paras, teasers) in [
        (
            EN,
            [
                teaser(
                    "Rail fares",
                    "Passengers will pay more for weekend tickets from the spring, the \
                     operator said on Monday after a year of losses.",
                ),
                teaser(
                    "Ferries",
                    "The island ferries will run on electricity by the end of the decade \
                     under a plan approved by the regional government.",
                ),
            ],
        ),
        (
            PT,
            [
                teaser(
                    "Passes",
                    "Os passageiros vão pagar mais pelos bilhetes de fim de semana a \
                     partir da primavera, disse a operadora na segunda-feira.",
                ),
                teaser(
                    "Ferries",
                    "Os ferries das ilhas vão funcionar a eletricidade até ao fim da \
                     década, segundo um plano aprovado pelo governo regional.",
                ),
            ],
        ),
    ] {
        let body: String = paras.iter().map(|p| format!("<p>{p}</p>")).collect();
        let html = format!(
            "<html><body><main><article><h1>Harbour bridge</h1>{body}</article>\
             <section><h2>More</h2>{}</section></main></body></html>",
            teasers.concat()
        );
        let copy = extract(&html, &Options::default()).unwrap();
        assert_eq!(copy.paragraphs, paras);
    }
}

#[test]
fn a_paragraph_without_its_neighbours_class_is_kept() {
    let carded: String = EN
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let card = format!("<div class=\"card\"><p class=\"card-text\">{p}</p></div>");
            if i == 2 {
                // Inserted later, bare, between two cards.
                card + "<p>The mayor said the vote showed the town could still agree on \
                        the things that matter most to its people.</p>"
            } else {
                card
            }
        })
        .collect();
    let html = format!(
        "<html><body><h1>Harbour bridge</h1><div class=\"article-body\">{carded}</div>\
         </body></html>"
    );
    let copy = extract(&html, &Options::default()).unwrap();
    assert_eq!(
        copy.paragraphs.len(),
        EN.len() + 1,
        "{:#?}",
        copy.paragraphs
    );
    assert!(copy.paragraphs[3].starts_with("The mayor said"));
}

#[test]
fn a_sites_template_is_learned_across_its_articles() {
    // A line no rule knows, in the same place on every article of the site.
    let furniture = |n: u32| {
        format!(
            "<p>Ouça esta reportagem na rádio {n} FM e siga as notícias da cidade durante \
             todo o dia.</p>"
        )
    };
    // Before the story: after it, in a container of its own, the line is the outlet's
    // by its place alone (`run`).
    let article = |paras: &[&str], n| page(paras, &furniture(n), "", "");
    let pages = [
        article(&EN[..3], 91),
        article(&PT[..3], 92),
        article(&PT[2..], 93),
    ];
    // Without a template the line is kept: it reads like a line of the story.
    let first = extract_page(&pages[0], &Options::default()).unwrap();
    assert!(first.copy.paragraphs.iter().any(|p| p.contains("rádio 91")));
    // Learned from the first two articles, it is dropped from the third.
    let second = extract_page(&pages[1], &Options::default()).unwrap();
    let learned: Vec<String> = first
        .shapes
        .iter()
        .filter(|s| second.shapes.contains(s))
        .cloned()
        .collect();
    assert_eq!(
        learned,
        [shape(
            "Ouça esta reportagem na rádio 9 FM e siga as notícias da cidade durante todo o dia."
        )]
    );
    let opts = Options {
        template: Template::new(learned),
        ..Options::default()
    };
    let third = extract(&pages[2], &opts).unwrap();
    assert_eq!(third.paragraphs, &PT[2..]);
    // A template that covers the whole page does not lose the story.
    let all = Template::new(extract_page(&pages[2], &Options::default()).unwrap().shapes);
    let opts = Options {
        template: all,
        ..Options::default()
    };
    assert!(!extract(&pages[2], &opts).unwrap().paragraphs.is_empty());
}

#[test]
fn a_line_the_page_declares_in_its_article_body_is_the_story_s() {
    for (paras, line) in [
        (EN, "Copyright 2024 Harbour Daily. All rights reserved."),
        (
            PT,
            "Copyright 2024 Diário do Porto. Todos os direitos reservados.",
        ),
    ] {
        // Each paragraph in a card; the rights line after them in a card of its own
        // (another class), set in italics.
        let card = |class: &str, p: &str| {
            format!("<div class=\"card {class}\"><div class=\"content\"><p>{p}</p></div></div>")
        };
        let page = |year: &str, ld: &str| {
            let cards: String = paras.iter().map(|p| card("text", p)).collect();
            let rights = card("rule", &format!("<i>{}</i>", line.replace("2024", year)));
            format!(
                "<html><head><title>Harbour bridge</title>{ld}</head><body><div class=\"story\">\
                 <h1>Harbour bridge</h1>{cards}{rights}</div></body></html>"
            )
        };
        // JSON-LD written by hand: a comment in it, so it is no JSON; its articleBody
        // holds the story and the rights line, run together without breaks.
        let declared = format!(
            "<script type=\"application/ld+json\">{{\"@type\": \"NewsArticle\",\n\
             // filled for every page\n\"articleBody\": \"{}{line}\"}}</script>",
            paras.concat()
        );
        let with_body = extract_page(&page("2024", &declared), &Options::default()).unwrap();
        let mut want: Vec<String> = paras.iter().map(|p| p.to_string()).collect();
        want.push(line.to_string());
        assert_eq!(with_body.copy.paragraphs, want);
        assert!(
            with_body
                .provenance
                .places
                .iter()
                .all(|p| *p == crate::text::Place::Body),
            "{:?}",
            with_body.provenance.places
        );
        // Its year changed on the page (not yet in the structured data): still the
        // story's, so the change is an edit of it.
        let edited = extract(&page("2025", &declared), &Options::default()).unwrap();
        assert_eq!(
            edited.paragraphs.last().unwrap(),
            &line.replace("2024", "2025")
        );
        // With no articleBody, the rules alone leave the outlet's line out of the story.
        let plain = extract_page(&page("2024", ""), &Options::default()).unwrap();
        let in_story = plain
            .copy
            .paragraphs
            .iter()
            .zip(&plain.provenance.places)
            .any(|(p, place)| p.contains("2024") && *place == crate::text::Place::Body);
        assert!(!in_story, "{:?}", plain.copy.paragraphs);
    }
}

#[test]
fn a_hover_card_inside_a_sentence_goes_and_the_name_stays() {
    // A person's name linked in the story's first sentence, with a hover card after it:
    // a portrait and links to other stories, whose words change from page to page.
    for (paras, name, at) in [
        (EN, "Jane Smith", "The city council"),
        (PT, "Ana Lima", "A câmara municipal"),
    ] {
        let card = |words: &str| {
            format!(
                "<span class=\"people\"><a href=\"/p/1\">{name}</a><span class=\"block\"><span>\
                 <img src=\"/p.jpg\" alt=\"\"><a href=\"/p/1\">{words}</a> \
                 <a href=\"/s/2\">{words} again</a> <a href=\"/p/1\">MORE</a></span></span></span>"
            )
        };
        let story = |words: &str| {
            let first = paras[0].replacen(at, &format!("{at}, led by {},", card(words)), 1);
            let mut all: Vec<String> = vec![first];
            all.extend(paras[1..].iter().map(|p| p.to_string()));
            let body: String = all.iter().map(|p| format!("<p>{p}</p>")).collect();
            format!(
                "<html><body><h1>Harbour bridge</h1><div class=\"text\">{body}</div></body></html>"
            )
        };
        let want = paras[0].replacen(at, &format!("{at}, led by {name},"), 1);
        let long = "A much longer label for the card, with many words in it, ".repeat(4);
        for words in [
            "Her full name and title",
            "Another label entirely, much longer than the first one",
            long.trim_end(),
        ] {
            let copy = extract(&story(words), &Options::default()).unwrap();
            assert_eq!(copy.paragraphs[0], want, "{words}");
            assert_eq!(copy.paragraphs.len(), paras.len());
        }
    }
}
