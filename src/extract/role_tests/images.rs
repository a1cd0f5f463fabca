//! Text set right after an image in the story's text: an emphasised caption goes, a
//! plain paragraph stays the story's.

use super::*;

#[test]
fn an_emphasised_caption_right_after_an_image_goes() {
    // Inside the story's text: the image, then its caption set in emphasis (in a
    // `<center>`, or a `<p>` after the `<p>` that holds only the image).
    let centred = |c: &str| {
        format!(
            "<img src=\"/b.jpg\" alt=\"\"><center><em>{c} <a href=\"/s\">Agency</a></em></center>"
        )
    };
    let wrapped = |c: &str| {
        format!("<p><a href=\"/b.jpg\"><img src=\"/b.jpg\"></a></p><p><small>{c}</small></p>")
    };
    assert_dropped(
        EN,
        At::Inside,
        &centred("The old harbour bridge, seen from the ferry, via"),
        &centred("Council members on the bridge on Tuesday, via"),
    );
    assert_dropped(
        PT,
        At::Inside,
        &wrapped("A velha ponte vista do porto na segunda-feira. Foto: Ana Lima"),
        &wrapped("Vereadores visitam a ponte na terça-feira. Foto: Rui Costa"),
    );
}

#[test]
fn a_plain_short_paragraph_after_an_image_is_the_storys() {
    let line = "O barco provisório custará dois euros por viagem.";
    let html = page(
        PT,
        "",
        &format!("<p><img src=\"/b.jpg\"></p><p>{line}</p>"),
        "",
    );
    let copy = extract(&html, &Options::default()).unwrap();
    assert_eq!(copy.paragraphs.len(), PT.len() + 1);
    assert_eq!(copy.paragraphs[2], line);
}

#[test]
fn a_photo_credit_in_a_slider_goes() {
    // A gallery ("slider", "carousel") between the story's paragraphs, its credit as a
    // term and its definition.
    let slider = |class: &str, label: &str, credit: &str| {
        format!(
            "<div class=\"article__block article__block_{class}\"><div class=\"{class}-origin\">\
             <dl><dt>{label}</dt><dd>{credit}</dd></dl></div></div>"
        )
    };
    assert_dropped(
        EN,
        At::Inside,
        &slider("slider", "Photo:", "family archive of Jane Smith"),
        &slider("slider", "Photo:", "courtesy of the harbour museum"),
    );
    assert_dropped(
        PT,
        At::Inside,
        &slider("carousel", "Foto:", "arquivo pessoal de Ana Lima"),
        &slider("carousel", "Foto:", "cortesia do museu do porto"),
    );
}

#[test]
fn the_text_beside_a_picture_in_the_story_goes() {
    // A box set in the story around a `<picture>` whose image a script loads (none in
    // the markup): its title and its line go with it, whatever their words.
    let inset = |title: &str, line: &str| {
        format!(
            "<div class=\"inset\"><h4>{title}</h4>\
             <figure class=\"embed\"><picture class=\"responsive\"></picture></figure>\
             <p>{line}</p></div>"
        )
    };
    assert_dropped(
        EN,
        At::Inside,
        &inset(
            "Subscribe",
            "<a href=\"/s\">Subscribe</a> to Harbour Daily and stay smart with more of \
             your favourite writers.",
        ),
        &inset(
            "Members",
            "Join the <a href=\"/c\">Harbour Club</a> and read every story of the \
             harbour first.",
        ),
    );
    assert_dropped(
        PT,
        At::Inside,
        &inset(
            "Assine",
            "<a href=\"/s\">Assine</a> o Diário do Porto e leia os seus autores \
             favoritos.",
        ),
        &inset(
            "Sócios",
            "Torne-se <a href=\"/c\">sócio do clube</a> e leia primeiro todas as \
             notícias do porto.",
        ),
    );
}
