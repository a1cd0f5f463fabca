//! The story's run where the markup is unusual: a story set in no `<p>` (text between
//! `<br>`s, subheadings and lists in one element), lines set apart by emphasis at the
//! run's edges, and a story that is one `<article>` among teasers on a page with no
//! `<h1>`.

use super::*;
use crate::text::Place;

fn placed(html: &str) -> (Vec<String>, Vec<Place>) {
    let page = extract_page(html, &Options::default()).unwrap();
    assert_eq!(page.provenance.places.len(), page.copy.paragraphs.len());
    (page.copy.paragraphs, page.provenance.places)
}

/// A story written as text between `<br>`s and subheadings in one `<section>`, with an
/// emphasised welcome line in a section of its own before it and a curator's line in
/// `<em>` after a rule of underscores at its end.
fn unwrapped(paras: &[&str], welcome: &str, curator: &str) -> String {
    let mut body = String::new();
    for (i, p) in paras.iter().enumerate() {
        if i == 2 {
            body.push_str("<h2>Details</h2>");
        }
        body.push_str(&format!("{p}<br>"));
    }
    format!(
        "<html><head><title>Harbour bridge | Daily</title></head><body><h1>Harbour bridge</h1>\
         <div class=\"page\"><section class=\"intro\"><em>{welcome}</em></section>\
         <section class=\"page-text\">{body}<h2>______</h2><em>{curator}</em></section>\
         </div></body></html>"
    )
}

#[test]
fn a_story_in_no_paragraphs_has_a_run_and_its_outlet_lines_are_beside_it() {
    for (paras, welcome, curator) in [
        (
            EN,
            "Welcome to the Daily's harbour desk, your source for the news of the port. \
             Follow us on <a href=\"https://x.example/d\">Mastodon</a>.",
            "Ana Lima edits the harbour desk and has lived by the river for 25 years.",
        ),
        (
            PT,
            "Bem-vindo à secção do porto do Diário, a sua fonte de notícias do rio. \
             Siga-nos no <a href=\"https://x.example/d\">Mastodon</a>.",
            "Ana Lima edita a secção do porto e vive junto ao rio há 25 anos.",
        ),
    ] {
        let (copy, places) = placed(&unwrapped(paras, welcome, curator));
        let story: Vec<&String> = copy
            .iter()
            .zip(&places)
            .filter(|(_, p)| **p == Place::Body)
            .map(|(t, _)| t)
            .collect();
        // The story's lines (and its subheading) are the run; the welcome line and the
        // curator's line are beside it, whatever their words.
        for p in paras {
            assert!(
                story.iter().any(|s| s.as_str() == *p),
                "{p} not in {story:#?}"
            );
        }
        assert_eq!(places.first(), Some(&Place::Edge), "{copy:#?} {places:?}");
        assert_ne!(places.last(), Some(&Place::Body), "{copy:#?} {places:?}");
        assert!(copy.last().is_some_and(|l| l.starts_with("Ana Lima")));
    }
}

#[test]
fn a_story_in_no_paragraphs_still_alerts_on_a_line_added_at_its_end() {
    let mut longer: Vec<&str> = EN.to_vec();
    longer.push(
        "The ferry company said on Wednesday that it would add a second boat during the \
         busiest hours of the morning.",
    );
    let (copy, places) = placed(&unwrapped(&longer, "Welcome aboard.", "Ana Lima edits."));
    let added = copy.iter().position(|t| t == longer[5]).unwrap();
    assert_eq!(places[added], Place::Body, "{copy:#?} {places:?}");
}

/// A story in `<div class="text">` with `first` and `last` as its first and last `<p>`.
fn framed(paras: &[&str], first: &str, last: &str) -> String {
    let body: String = paras.iter().map(|p| format!("<p>{p}</p>")).collect();
    format!(
        "<html><head><title>Harbour bridge | Daily</title></head><body><h1>Harbour bridge</h1>\
         <div class=\"text\"><p>{first}</p>{body}<p>{last}</p></div></body></html>"
    )
}

#[test]
fn an_emphasised_pitch_before_the_story_is_beside_it() {
    for (paras, first, last) in [
        (
            EN,
            "<strong>Start your day with the Harbour Letter. <a href=\"https://x.example/s\">\
             Sign up</a> for the free morning newsletter.</strong>",
            "<strong>There is more where that came from. <a href=\"https://x.example/s\">Sign \
             up</a> today to get it in your inbox.</strong>",
        ),
        (
            PT,
            "<strong>Comece o dia com a Carta do Porto. <a href=\"https://x.example/s\">\
             Inscreva-se</a> na newsletter gratuita da manhã.</strong>",
            "<strong>Há muito mais de onde isto veio. <a href=\"https://x.example/s\">\
             Inscreva-se</a> hoje para a receber no seu correio.</strong>",
        ),
    ] {
        let (copy, places) = placed(&framed(paras, first, last));
        assert_eq!(copy.len(), paras.len() + 2, "{copy:#?}");
        assert_ne!(places[0], Place::Body, "{copy:#?} {places:?}");
        assert_ne!(places[paras.len() + 1], Place::Body, "{copy:#?} {places:?}");
        assert!(places[1..=paras.len()].iter().all(|p| *p == Place::Body));
    }
}

#[test]
fn a_bold_lead_without_a_link_is_the_story() {
    let lead = "<strong>The harbour bridge will be rebuilt, the council decided on Tuesday \
                after a decade of argument.</strong>";
    let (copy, places) = placed(&framed(&EN[..4], lead, EN[4]));
    assert_eq!(copy.len(), 6, "{copy:#?}");
    assert!(places.iter().all(|p| *p == Place::Body), "{places:?}");
}

/// A page with no `<h1>`: the story is an `<article>` whose headline is an `<h2>` in a
/// `<header>`, among teasers, `<article>`s each with a headline and a summary.
fn among_teasers(headline: &str, paras: &[&str], teasers: &[&str]) -> String {
    let body: String = paras.iter().map(|p| format!("<p>{p}</p>")).collect();
    let teasers: String = teasers
        .iter()
        .map(|t| {
            format!(
                "<article class=\"card\"><h2><a href=\"/o\">Another story</a></h2>\
                 <div><p>{t}</p></div></article>"
            )
        })
        .collect();
    format!(
        "<html><head><title>{headline} | Daily</title></head><body>\
         <article class=\"story\"><header><h2>{headline}</h2></header>\
         <div class=\"content\">{body}</div></article>{teasers}\
         </body></html>"
    )
}

/// Teaser summaries of other stories, in English and in Portuguese.
const TEASERS_EN: [&str; 2] = [
    "A new study of the river's fish suggests the water is cleaner than it has been for \
     fifty years.",
    "The town's oldest bakery closes its doors after a century, its owners said on Friday.",
];
const TEASERS_PT: [&str; 2] = [
    "Um novo estudo dos peixes do rio sugere que a água está mais limpa do que há cinquenta \
     anos.",
    "A padaria mais antiga da cidade fecha as portas ao fim de um século, disseram os donos \
     na sexta-feira.",
];

/// The headline found on `html` and the page's text once the story is marked and the
/// page cleaned of boilerplate and furniture, as extraction does before Readability.
fn cleaned(html: &str) -> (String, String) {
    let doc = dom_query::Document::from(html);
    let chosen = headline::find(&doc);
    roles::mark_story(&doc, &chosen, None);
    clean::remove_boilerplate(&doc);
    roles::remove_furniture(&doc);
    (chosen, crate::text::normalize(&doc.select("body").text()))
}

#[test]
fn teasers_beside_a_story_with_no_h1_are_other_stories() {
    for (headline, paras, teasers) in [
        (
            "Council votes to rebuild the old harbour bridge",
            EN,
            TEASERS_EN,
        ),
        (
            "Câmara aprova a reconstrução da velha ponte do porto",
            PT,
            TEASERS_PT,
        ),
    ] {
        // After the page's cleaning (which takes the `<header>` and its `<h2>` away), the
        // teasers' `<article>`s are gone before the main content is looked for, and the
        // story's stays.
        let (chosen, left) = cleaned(&among_teasers(headline, paras, &teasers));
        assert_eq!(chosen, headline);
        for t in teasers {
            assert!(!left.contains(t), "{left}");
        }
        for p in paras {
            assert!(left.contains(p), "{left}");
        }
        // And the page's copy is the story.
        let copy = extract(
            &among_teasers(headline, paras, &teasers),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(copy.paragraphs, paras);
    }
}

/// A page with no `<h1>` whose story heading's words differ from its declared title (a
/// site that rewrites them): the story's `<article>` names the page's own address in its
/// share bar, the teasers name theirs.
fn among_teasers_by_address(
    title: &str,
    heading: &str,
    paras: &[&str],
    teasers: &[&str],
) -> String {
    let body: String = paras.iter().map(|p| format!("<p>{p}</p>")).collect();
    let teasers: String = teasers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "<article class=\"card\" data-url=\"/2026/other-{i}\"><h2><a \
                 href=\"https://daily.example/2026/other-{i}\">Another story</a></h2>\
                 <div><p>{t}</p></div></article>"
            )
        })
        .collect();
    format!(
        "<html><head><title>{title} | Daily</title>\
         <link rel=\"canonical\" href=\"https://daily.example/2026/harbour-bridge/\"></head>\
         <body><article class=\"story\"><header><h2><a href=\"\">{heading}</a></h2></header>\
         <div class=\"share\" data-url=\"/2026/harbour-bridge\"><span>f</span></div>\
         <div class=\"content\">{body}</div></article>{teasers}</body></html>"
    )
}

#[test]
fn teasers_beside_a_story_named_by_its_address_are_other_stories() {
    for (title, heading, paras, teasers) in [
        (
            "Council votes to rebuild the old harbour bridge",
            "Bridge: the vote at last",
            EN,
            TEASERS_EN,
        ),
        (
            "Câmara aprova a reconstrução da velha ponte do porto",
            "Ponte: enfim a votação",
            PT,
            TEASERS_PT,
        ),
    ] {
        let html = among_teasers_by_address(title, heading, paras, &teasers);
        let (chosen, left) = cleaned(&html);
        assert_eq!(chosen, title);
        for t in teasers {
            assert!(!left.contains(t), "{left}");
        }
        for p in paras {
            assert!(left.contains(p), "{left}");
        }
        // With no markup naming the page's address, nothing names the story: the
        // teasers stay for the main content's choice.
        let (_, left) = cleaned(&html.replace(" data-url=\"/2026/harbour-bridge\"", ""));
        assert!(left.contains(teasers[0]), "{left}");
    }
}

/// A short post: one paragraph of prose and `last` after it, in one container.
fn short_post(lead: &str, last: &str) -> String {
    format!(
        "<html><head><title>Open thread | Daily</title></head><body><h1>Open thread</h1>\
         <div class=\"entry\"><p>{lead}</p><p>{last}</p></div></body></html>"
    )
}

#[test]
fn a_pointer_line_ending_a_short_post_is_beside_it() {
    for (lead, last) in [
        (
            "Our goal with these monthly threads is to give readers a place to raise \
             questions about the harbour bridge or related topics in the comments below. \
             You are also welcome to write to the desk if you would rather ask privately.",
            "You can read last month's thread <a href=\"/2024/05/thread\">here</a>.",
        ),
        (
            "O objetivo destas conversas mensais é dar aos leitores um lugar para fazer \
             perguntas sobre a ponte do porto ou temas próximos nos comentários abaixo. \
             Também pode escrever à redação se preferir perguntar em privado.",
            "Pode ler a conversa do mês passado <a href=\"/2024/05/conversa\">aqui</a>.",
        ),
    ] {
        let (copy, places) = placed(&short_post(lead, last));
        assert_eq!(copy.len(), 2, "{copy:#?}");
        assert_eq!(places, vec![Place::Body, Place::Links], "{copy:#?}");
    }
}

#[test]
fn a_short_posts_second_paragraph_without_a_link_or_at_length_is_the_story() {
    let lead = EN[0];
    for last in [
        // No link.
        "Work starts next year.",
        // A paragraph of its own, with a link.
        "Engineers had warned last year that the structure was <a href=\"/r\">no longer \
         safe</a> for heavy lorries.",
    ] {
        let (copy, places) = placed(&short_post(lead, last));
        assert_eq!(copy.len(), 2, "{copy:#?}");
        assert_eq!(places, vec![Place::Body; 2], "{copy:#?}");
    }
}

/// A page with no run: a calendar of one-line entries in a `<p>` split by `<br>`, with
/// `after` at its end.
fn calendar(entries: &[&str], after: &str) -> String {
    format!(
        "<html><head><title>Calendar | Daily</title></head><body><h1>Calendar</h1>\
         <div class=\"entry\"><p>{}</p><p>* Dates may change.</p>{after}</div></body></html>",
        entries.join("<br>")
    )
}

#[test]
fn a_line_in_its_own_type_style_ending_a_page_with_no_run_is_set_apart() {
    for (entries, policy) in [
        (
            &[
                "Round 1: 10 March – Harbourside",
                "Round 2: 8 April – Old Town",
                "Round 3: 22 April – Riverside",
            ],
            "Note: comments that are unreadable or disrespectful to other readers will not \
             be approved by the moderator.",
        ),
        (
            &[
                "1a etapa: 10 de março – Porto",
                "2a etapa: 8 de abril – Cidade Velha",
                "3a etapa: 22 de abril – Ribeira",
            ],
            "Atenção: comentários ilegíveis ou desrespeitosos para com outros leitores não \
             serão aprovados pelo moderador.",
        ),
    ] {
        let styled = format!(
            "<p style=\"font-size:10px; font-weight:bold; border-top:1px #999 solid\">{policy}</p>"
        );
        let (copy, places) = placed(&calendar(entries, &styled));
        assert_eq!(copy.last().map(String::as_str), Some(policy), "{copy:#?}");
        let mut want = vec![Place::Body; copy.len() - 1];
        want.push(Place::Styled);
        assert_eq!(places, want, "{copy:#?}");
        // The same line in the page's own type is the page's.
        let (copy, places) = placed(&calendar(entries, &format!("<p>{policy}</p>")));
        assert_eq!(places, vec![Place::Body; copy.len()], "{copy:#?}");
    }
}
