//! Furniture beside the story, among its own paragraphs where Readability keeps it, known
//! by its shape and place rather than its words: a box's title, a label, a line with an
//! address. Each case changes the furniture's words and checks that both versions give
//! exactly the story's paragraphs.

use super::*;

/// A story page with `furniture` among the story's own paragraphs, in their container:
/// before the first (`first`) or after the last, where Readability keeps it.
fn page_beside(paras: &[&str], first: bool, furniture: &str) -> String {
    let body: String = paras.iter().map(|p| format!("<p>{p}</p>")).collect();
    let (before, after) = if first {
        (furniture, "")
    } else {
        ("", furniture)
    };
    format!(
        "<html><head><title>Harbour bridge | Daily</title></head><body>\
         <div class=\"story\"><h1>Harbour bridge</h1>\
         <div class=\"text\">{before}{body}{after}</div></div></body></html>"
    )
}

/// Both versions of furniture beside the story give exactly the story's paragraphs.
fn assert_dropped_beside(paras: &[&str], first: bool, v1: &str, v2: &str) {
    for furniture in [v1, v2] {
        let copy = extract(&page_beside(paras, first, furniture), &Options::default()).unwrap();
        assert_eq!(copy.paragraphs, paras, "furniture: {furniture}");
    }
}

/// A box's title is known by its place (a few words just before a list of links), not by
/// its words: these titles are in no word list.
#[test]
fn a_box_title_in_any_language_goes_with_its_list() {
    let heading = |title: &str, items: &[&str]| {
        let lis: String = items
            .iter()
            .map(|i| format!("<li><a href=\"/n/{}\">{i}</a></li>", i.len()))
            .collect();
        format!("<h3>{title}</h3><ul>{lis}</ul>")
    };
    let bold = |title: &str, items: &[&str]| {
        let lis: String = items
            .iter()
            .map(|i| format!("<li><a href=\"/n/{}\">{i}</a></li>", i.len()))
            .collect();
        format!("<p><strong>{title}</strong></p><ol>{lis}</ol>")
    };
    assert_dropped_beside(
        EN,
        false,
        &heading(
            "Editors' picks",
            &["Star striker signs for 45 million", "Rail fares up 3%"],
        ),
        &heading(
            "Editors' picks",
            &["Rail fares up 3%", "Ferry fleet goes electric"],
        ),
    );
    assert_dropped_beside(
        PT,
        false,
        &bold(
            "Lees ook",
            &["Avançado assina por 45 milhões", "Passes sobem 3%"],
        ),
        &bold(
            "Läs också",
            &["Passes sobem 3%", "Banco central mantém juros em 4,5%"],
        ),
    );
}

/// A contact or "follow us" line beside the story holds an address; a sentence of the
/// story with an address in it stays.
#[test]
fn address_lines_beside_the_story_go() {
    assert_dropped_beside(
        EN,
        false,
        "<p>Ana Lima reports from the harbour: ana.lima@example.org</p>",
        "<p>Ana Lima reports from the river: a.lima@example.com</p>",
    );
    assert_dropped_beside(
        PT,
        false,
        "<p>Siga toda a cobertura em https://example.org/eleicoes</p>",
        "<p>Acompanhe a cobertura em https://example.org/eleicoes-2020</p>",
    );
    let sentence = "O relatório completo está em https://example.org/relatorio e foi publicado \
                    pela câmara municipal na terça-feira.";
    let html = page_beside(PT, false, &format!("<p>{sentence}</p>"));
    let copy = extract(&html, &Options::default()).unwrap();
    assert_eq!(copy.paragraphs.last().map(String::as_str), Some(sentence));
}

/// A label left by a button, a tab or a tally beside the story, in any words; between two
/// paragraphs of the story the same shape is a subheading and stays.
#[test]
fn labels_beside_the_story_go_whatever_their_words() {
    assert_dropped_beside(EN, true, "<p>Harbour desk</p>", "<p>Meadow desk</p>");
    assert_dropped_beside(
        PT,
        false,
        "<p>Destaques</p><div>letture</div>",
        "<p>Ouvir agora</p><div>Kowalski</div>",
    );
    let copy = extract(&page(EN, "", "<p>NEW BRIDGE</p>", ""), &Options::default()).unwrap();
    assert_eq!(copy.paragraphs[2], "NEW BRIDGE");
}

#[test]
fn a_line_with_a_bare_domain_after_the_story_goes() {
    assert_dropped(
        EN,
        At::Bottom,
        "<div>More from the harbour at harbourdaily.co.uk</div>",
        "<div>All of our coverage on harbourdaily.co.uk</div>",
    );
    assert_dropped(
        PT,
        At::Bottom,
        "<div>Mais notícias do porto em portodiario.com.br</div>",
        "<div>Tudo sobre a ponte no portodiario.com.br</div>",
    );
}

#[test]
fn a_quoted_posts_line_with_its_link_after_the_story_stays() {
    // An embedded post closing the story: its last line ends with the post's picture
    // link. It is a quotation, not the outlet's address line.
    for (paras, line) in [
        (
            EN,
            "Who pays for the ferry while the bridge is closed? Not the fishermen, I hope \
             pic.example.com/s96jjh8AlD",
        ),
        (
            PT,
            "Quem paga o barco enquanto a ponte estiver fechada? Não os pescadores, espero \
             pic.example.com/s96jjh8AlD",
        ),
    ] {
        let (text, link) = line.rsplit_once(' ').unwrap();
        let post = format!(
            "<blockquote class=\"post\"><p>{text} <a href=\"https://x.example/1\">{link}</a>\
             </p></blockquote>"
        );
        let copy = extract(&page_beside(paras, false, &post), &Options::default()).unwrap();
        assert_eq!(&copy.paragraphs[..paras.len()], paras);
        assert_eq!(
            copy.paragraphs.last().map(String::as_str),
            Some(line),
            "{copy:#?}"
        );
    }
}

/// A share bar between the story's paragraphs whose longest label is a link that only
/// runs a script (`javascript:`): Readability turns such links into text, and the bar's
/// labels, changed, would come back as a line of the story. Still a link, it goes with
/// the bar.
#[test]
fn a_share_bar_with_a_script_link_goes() {
    let bar = |a: &str, b: &str, c: &str, d: &str| {
        format!(
            "<div><center> <a href=\"whatsapp://send?text=x\">{a}</a> &nbsp; \
             <a href=\"https://social.example/share?u=x\">{b}</a> &nbsp; \
             <a href=\"javascript:%20void(0);\" onclick=\"open('x')\">{c}</a> &nbsp; \
             <a href=\"/media/photo.jpg\" download=\"\">{d}</a> &nbsp;</center></div>"
        )
    };
    assert_dropped(
        EN,
        At::Inside,
        &bar("Send", "Post", "Pin", "Save"),
        &bar("Send", "Post", "Pinboard-collection", "Save"),
    );
    assert_dropped(
        PT,
        At::Inside,
        &bar("Enviar", "Partilhar", "Fixar", "Baixar"),
        &bar("Envie", "Mural", "Coleção-de-imagens", "Baixe"),
    );
}
