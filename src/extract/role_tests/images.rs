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
