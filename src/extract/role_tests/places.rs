//! Where each paragraph of the copy sat: the story's run, or a block beside it. The
//! decision leaves a change confined to blocks beside the story unalerted, so a block is
//! placed there only by its structure (a container of its own, no `<p>`), never for
//! being first or last: a paragraph added at the story's edge, with or without its
//! neighbours' class, is the story's.

use super::*;
use crate::text::Place;

/// A page whose story (`paras`, in `<div class="text">`) has `top` between the headline
/// and the story and `bottom` after it, both outside the story's container.
fn places_of(paras: &[&str], top: &str, bottom: &str) -> (Vec<String>, Vec<Place>) {
    let page = extract_page(&page(paras, top, "", bottom), &Options::default()).unwrap();
    assert_eq!(page.provenance.places.len(), page.copy.paragraphs.len());
    (page.copy.paragraphs, page.provenance.places)
}

/// `n` story paragraphs after `before` edge blocks.
fn expected(before: usize, n: usize, after: usize) -> Vec<Place> {
    let mut out = vec![Place::Edge; before];
    out.extend(vec![Place::Body; n]);
    out.extend(vec![Place::Edge; after]);
    out
}

#[test]
fn a_standfirst_in_a_box_of_its_own_is_beside_the_story() {
    for (paras, standfirst) in [
        (
            EN,
            "The council has finally settled the fate of the bridge, after years of argument \
             about its safety and its price.",
        ),
        (
            PT,
            "A câmara decidiu finalmente o destino da ponte, depois de anos de discussão sobre \
             a sua segurança e o seu preço.",
        ),
    ] {
        let top = format!("<div class=\"summary\"><p>{standfirst}</p></div>");
        let (copy, places) = places_of(paras, &top, "");
        assert_eq!(copy[0], standfirst);
        assert_eq!(places, expected(1, paras.len(), 0), "{copy:#?}");
    }
}

#[test]
fn a_line_in_no_paragraph_after_the_story_is_beside_it() {
    let line = "<div>O barco provisório custará dois euros por viagem, segundo a empresa \
                municipal de transportes</div>";
    let (copy, places) = in_story_container(PT, line);
    assert_eq!(copy.len(), PT.len() + 1, "{copy:#?}");
    assert_eq!(places, expected(0, PT.len(), 1));
}

#[test]
fn the_story_is_placed_whole_without_blocks_beside_it() {
    let (copy, places) = places_of(EN, "", "");
    assert_eq!(copy, EN);
    assert_eq!(places, expected(0, EN.len(), 0));
}

#[test]
fn a_paragraph_added_at_the_edge_without_its_neighbours_class_is_the_storys() {
    // The story's paragraphs share a class; one added before the first and one after the
    // last have none, but sit in the story's container: both are the story's.
    let body: String = PT
        .iter()
        .map(|p| format!("<p class=\"texto\">{p}</p>"))
        .collect();
    let added = "O presidente da câmara disse que a votação mostra que a cidade ainda sabe \
                 chegar a acordo sobre o que mais importa.";
    let html = format!(
        "<html><body><h1>Ponte do porto</h1><div class=\"materia\"><p>{added}</p>{body}\
         <p>{added} Acrescentou que a obra será acompanhada de perto.</p></div></body></html>"
    );
    let page = extract_page(&html, &Options::default()).unwrap();
    assert_eq!(page.copy.paragraphs.len(), PT.len() + 2);
    assert_eq!(page.provenance.places, vec![Place::Body; PT.len() + 2]);
}

#[test]
fn a_paragraph_between_the_storys_paragraphs_is_the_storys_whatever_its_container() {
    let inside = "<div class=\"aside-quote\"><p>“We waited ten years for this,” said one \
                  fisherman who crosses the river every morning before dawn.</p></div>";
    let page = extract_page(&page(EN, "", inside, ""), &Options::default()).unwrap();
    assert_eq!(page.copy.paragraphs.len(), EN.len() + 1);
    assert_eq!(page.provenance.places, vec![Place::Body; EN.len() + 1]);
}

#[test]
fn a_short_story_places_nothing_beside_it() {
    // Fewer than three paragraphs of prose: no run to measure a block against.
    let top = "<div class=\"summary\"><p>The council has settled the fate of the bridge, \
               after years of argument about its safety.</p></div>";
    let (copy, places) = places_of(&EN[..2], top, "");
    assert_eq!(places, vec![Place::Body; copy.len()]);
}

/// The story (`paras`) in its container, then `after` in the same container.
fn in_story_container(paras: &[&str], after: &str) -> (Vec<String>, Vec<Place>) {
    let body: String = paras.iter().map(|p| format!("<p>{p}</p>")).collect();
    let html = format!(
        "<html><body><h1>Harbour bridge</h1><div class=\"text\">{body}{after}</div></body></html>"
    );
    let page = extract_page(&html, &Options::default()).unwrap();
    assert_eq!(page.provenance.places.len(), page.copy.paragraphs.len());
    (page.copy.paragraphs, page.provenance.places)
}

#[test]
fn a_line_with_a_link_after_the_story_in_its_container_is_a_link_line() {
    for (paras, line) in [
        (
            EN,
            "<p>Follow the council on <a href=\"https://x.example/c\">Mastodon</a> and \
             <a href=\"https://x.example/d\">Bluesky</a></p>",
        ),
        (
            PT,
            "<p>Siga a câmara no <a href=\"https://x.example/c\">Mastodon</a> e no \
             <a href=\"https://x.example/d\">Bluesky</a></p>",
        ),
    ] {
        let (copy, places) = in_story_container(paras, line);
        assert_eq!(copy.len(), paras.len() + 1, "{copy:#?}");
        let mut want = vec![Place::Body; paras.len()];
        want.push(Place::Links);
        assert_eq!(places, want, "{copy:#?}");
    }
}

#[test]
fn a_line_after_a_separator_after_the_story_is_a_trailer() {
    // A credit line after the story's end mark. (A paragraph of prose there still
    // extends the story's run: only the lines after the run's last paragraph are judged.)
    let note = "<p>___</p><p>Mit Material von Nachrichtenagenturen, bearbeitet von der \
                Redaktion</p>";
    let (copy, places) = in_story_container(PT, note);
    assert_eq!(
        copy.last().map(String::as_str),
        Some("Mit Material von Nachrichtenagenturen, bearbeitet von der Redaktion"),
        "{copy:#?}"
    );
    assert_eq!(places.last(), Some(&Place::Trailer), "{copy:#?}");
    assert!(places[..PT.len()].iter().all(|p| *p == Place::Body));
}

#[test]
fn prose_appended_after_the_story_with_or_without_a_link_in_a_sentence_is_the_storys() {
    // A paragraph of prose at the end of the run, even one with a link inside its
    // sentence, is the story's: only a line that is no prose and holds a link is not.
    let added = "<p>The council will publish the <a href=\"https://x.example/p\">full plans</a> \
                 on its website next week, with a map of the ferry's route.</p>";
    let (copy, places) = in_story_container(EN, added);
    assert_eq!(copy.len(), EN.len() + 1);
    assert_eq!(places, vec![Place::Body; EN.len() + 1]);
}

#[test]
fn a_quoted_posts_attribution_with_a_link_stays_the_storys() {
    let quote = "<blockquote class=\"post\"><p>The bridge vote passed by nine to two.</p>\
                 <p>— Harbour Council (@harbour) <a href=\"https://x.example/s/1\">9 October \
                 2026</a></p></blockquote>";
    let (copy, places) = in_story_container(EN, quote);
    assert!(copy.len() > EN.len(), "{copy:#?}");
    assert_eq!(places, vec![Place::Body; copy.len()], "{copy:#?}");
}

#[test]
fn an_emphasised_line_after_the_story_is_set_apart() {
    // The outlet's lines at the end of the story's run, set apart by emphasis where the
    // story's paragraphs are plain: a reporting credit in `<em>`, a "follow us" line in
    // `<i>` around its links, a pitch in `<strong>` split by `<br>`.
    for (paras, lines) in [
        (
            EN,
            "<p>(<em>Reporting by Jane Smith and John Brown; editing by Ann Lee.</em>)</p>\
             <p><i>Follow the council on </i><a href=\"https://x.example/c\">Mastodon</a>\
             <i> and read our </i><a href=\"https://x.example/n\">newsletter</a><i>.</i></p>",
        ),
        (
            DE_STORY,
            "<p><strong>Wir laden Sie herzlich ein, uns am Stand zu besuchen.<br>\
             Vereinbaren Sie am besten direkt einen Termin.</strong></p>",
        ),
    ] {
        assert_styled_after_story(paras, lines);
    }
}

#[test]
fn an_emphasised_paragraph_inside_the_story_and_a_plain_one_after_it_are_the_storys() {
    // Emphasis between two plain paragraphs is the story's (a quotation, a subheading);
    // a plain paragraph added after an emphasised one ends the run again.
    let inside = "<p><em>“Nós esperámos dez anos por isto”, disse um pescador que atravessa \
                  o rio todas as manhãs.</em></p>";
    let page = extract_page(&page(PT, "", inside, ""), &Options::default()).unwrap();
    assert_eq!(page.provenance.places, vec![Place::Body; PT.len() + 1]);
    let after = "<p><em>Com agências.</em></p><p>O presidente da câmara disse que a obra \
                 será acompanhada de perto pelos moradores.</p>";
    let (copy, places) = in_story_container(PT, after);
    assert_eq!(copy.len(), PT.len() + 2, "{copy:#?}");
    assert_eq!(places, vec![Place::Body; PT.len() + 2], "{copy:#?}");
}

#[test]
fn a_story_set_wholly_in_italics_is_the_story() {
    let body: String = EN.iter().map(|p| format!("<p><i>{p}</i></p>")).collect();
    let html = format!(
        "<html><body><h1>Harbour bridge</h1><div class=\"text\">{body}</div></body></html>"
    );
    let page = extract_page(&html, &Options::default()).unwrap();
    assert_eq!(page.copy.paragraphs, EN);
    assert_eq!(page.provenance.places, vec![Place::Body; EN.len()]);
}

const DE_STORY: &[&str] = &[
    "Der Stadtrat hat am Dienstag beschlossen, die alte Hafenbrücke neu zu bauen, und damit \
     einen Streit beendet, der die Stadt fast zehn Jahre lang gespalten hat.",
    "Ingenieure hatten im vergangenen Jahr gewarnt, dass das Bauwerk für schwere Lastwagen \
     nicht mehr sicher sei, und seit dem Frühjahr ist die Brücke für sie gesperrt.",
    "Die neue Brücke soll zwei Fahrspuren und einen eigenen Weg für Radfahrer und \
     Fußgänger haben, wie aus den vom Rat gebilligten Plänen hervorgeht.",
    "Die Arbeiten sollen Anfang nächsten Jahres beginnen und etwa achtzehn Monate dauern, \
     in denen eine Fähre die Fahrgäste über den Fluss bringt.",
];

#[test]
fn a_paragraph_in_its_own_type_style_after_the_story_is_set_apart() {
    // The outlet's paragraphs at the run's end in small grey type (a company's "about"),
    // or small bold type under a rule (a comment policy), where the story's paragraphs
    // carry no style of their own.
    for (paras, lines) in [
        (
            EN,
            "<p style=\"font-size: 12.0px; line-height: 16.0px; color: rgb(128,130,100);\">\
             Harbour Works is a global engineering group focused on bridges and ports.<br><br>\
             Harbour Works is headquartered in Baar and employs around 1,300 people.</p>",
        ),
        (
            PT,
            "<p style=\"text-align:left; font-size:10px; font-weight:bold; \
             border-top:1px #999 solid;\">ATENÇÃO: Comentários com textos ininteligíveis \
             não serão aprovados pelo moderador.</p>",
        ),
    ] {
        assert_styled_after_story(paras, lines);
    }
}

#[test]
fn a_paragraph_aligned_apart_or_a_story_wholly_in_one_style_is_the_storys() {
    // Alignment says nothing of whose line it is; and a story whose every paragraph
    // carries the same type style is still the story.
    let aligned = "<p style=\"text-align: justify;\">The council will publish the full \
                   plans on its website next week, with a map of the ferry's route.</p>";
    let (copy, places) = in_story_container(EN, aligned);
    assert_eq!(copy.len(), EN.len() + 1);
    assert_eq!(places, vec![Place::Body; EN.len() + 1]);
    let body: String = PT
        .iter()
        .map(|p| format!("<p style=\"font-size: 14px; color: #333\">{p}</p>"))
        .collect();
    let html = format!(
        "<html><body><h1>Ponte do porto</h1><div class=\"text\">{body}</div></body></html>"
    );
    let page = extract_page(&html, &Options::default()).unwrap();
    assert_eq!(page.copy.paragraphs, PT);
    assert_eq!(page.provenance.places, vec![Place::Body; PT.len()]);
}

#[test]
fn lines_after_a_rule_after_the_story_are_a_trailer() {
    // After an `<hr>` that follows the story's last paragraph: the outlet's notes in the
    // story's own container. A rule between the story's paragraphs (a section
    // break) leaves them all the story's.
    let after = "<hr><p>Harbour Daily newsroom, Quay Street 4</p>\
                 <p>Reporting by the harbour desk</p>";
    let (copy, places) = in_story_container(EN, after);
    assert_eq!(&copy[..EN.len()], EN, "{copy:#?}");
    assert!(places[..EN.len()].iter().all(|p| *p == Place::Body));
    assert_eq!(copy.len(), EN.len() + 2, "{copy:#?}");
    assert_eq!(places[EN.len()..], [Place::Trailer; 2], "{copy:#?}");
    let body: String = DE_STORY
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i == 2 {
                format!("<hr><p>{p}</p>")
            } else {
                format!("<p>{p}</p>")
            }
        })
        .collect();
    let html =
        format!("<html><body><h1>Hafenbrücke</h1><div class=\"text\">{body}</div></body></html>");
    let page = extract_page(&html, &Options::default()).unwrap();
    assert_eq!(page.copy.paragraphs, DE_STORY);
    assert_eq!(page.provenance.places, vec![Place::Body; DE_STORY.len()]);
}

/// The story's paragraphs in its container, then `lines`: the story is kept as the
/// body and every line after it is `Styled`, or `Links` when it holds a link (an
/// emphasised line is judged beside the run, where a link makes it a link line).
fn assert_styled_after_story(paras: &[&str], lines: &str) {
    let (copy, places) = in_story_container(paras, lines);
    assert!(copy.len() > paras.len(), "{copy:#?}");
    assert_eq!(&copy[..paras.len()], paras);
    assert_eq!(
        places[..paras.len()],
        vec![Place::Body; paras.len()],
        "{copy:#?}"
    );
    for place in &places[paras.len()..] {
        assert!(
            matches!(place, Place::Styled | Place::Links),
            "{copy:#?} {places:?}"
        );
    }
    assert!(places.contains(&Place::Styled), "{copy:#?} {places:?}");
}

/// The story with `line` after its second paragraph, then `after` (a box of the outlet's),
/// then the rest of the story.
fn with_box_inside(paras: &[&str], line: &str, after: &str) -> (Vec<String>, Vec<Place>) {
    let mut body = String::new();
    for (i, p) in paras.iter().enumerate() {
        body.push_str(&format!("<p>{p}</p>"));
        if i == 1 {
            body.push_str(line);
            body.push_str(after);
        }
    }
    let html = format!(
        "<html><body><h1>Harbour bridge</h1><div class=\"text\">{body}</div></body></html>"
    );
    let page = extract_page(&html, &Options::default()).unwrap();
    assert_eq!(page.provenance.places.len(), page.copy.paragraphs.len());
    (page.copy.paragraphs, page.provenance.places)
}

#[test]
fn an_emphasised_invitation_before_a_removed_call_to_action_is_a_link_line() {
    let cta = "<p style=\"text-align: center\"><strong><span class=\"hs-cta-wrapper\">\
               <a href=\"https://x.example/book\"><img src=\"b.png\" alt=\"\"></a></span>\
               </strong></p><p> </p>";
    for (paras, invitation) in [
        (
            EN,
            "<p><strong>Come and see the plans at the town hall.<br>Book a visit now \
             so that you do not miss us</strong></p>",
        ),
        (
            PT,
            "<p><strong>Venha ver os planos na câmara municipal.<br>Marque já a sua \
             visita para não nos perder</strong></p>",
        ),
    ] {
        let (copy, places) = with_box_inside(paras, invitation, cta);
        assert_eq!(copy.len(), paras.len() + 2, "{copy:#?}");
        let mut want = vec![Place::Body; paras.len() + 2];
        want[2] = Place::Links;
        want[3] = Place::Links;
        assert_eq!(places, want, "{copy:#?}");
        // With no box after it, or a box with no link, the line is the story's; and a
        // bold line after a removed box (a lead after a byline) is the story's.
        let no_link = cta
            .replace("<a href=\"https://x.example/book\">", "")
            .replace("</a>", "");
        for (line, after) in [(invitation, ""), (invitation, no_link.as_str())] {
            let (copy, places) = with_box_inside(paras, line, after);
            assert_eq!(copy.len(), paras.len() + 2, "{copy:#?}");
            assert_eq!(places, vec![Place::Body; paras.len() + 2], "{copy:#?}");
        }
        let (copy, places) = with_box_inside(paras, cta, invitation);
        assert_eq!(copy.len(), paras.len() + 2, "{copy:#?}");
        assert_eq!(places, vec![Place::Body; paras.len() + 2], "{copy:#?}");
    }
}
