//! The sub-resources a browser fetches for a page: img src, script src, and
//! link href for stylesheets and icons, found by lol_html's streaming parser
//! as the body arrives (the page is parsed, never stored), then resolved
//! against the page URL or its `<base href>` and deduplicated.

use lol_html::{HtmlRewriter, MemorySettings, OutputSink, Settings, element};
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use url::Url;

/// The parser's own buffers (a tag split across chunks) stay under this.
const PARSER_MEMORY: usize = 1 << 20;
/// References kept while parsing; a page naming more is cut here.
const MAX_REFS: usize = 1000;

/// One reference as the page wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    /// `img`, `script`, `stylesheet` or `icon`.
    pub kind: &'static str,
    pub raw: String,
}

#[derive(Debug, Default)]
struct Found {
    base: Option<String>,
    refs: Vec<Ref>,
    cut: bool,
}

/// A resource to fetch: absolute http(s) URL, deduplicated.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Resource {
    pub kind: &'static str,
    pub url: String,
    /// As written in the page.
    pub raw: String,
}

/// What the page refers to, after resolution.
#[derive(Debug, Default, Serialize)]
pub struct Links {
    pub base: Option<String>,
    pub resources: Vec<Resource>,
    /// References that are not http(s) (data:, javascript:) or do not parse.
    pub skipped: Vec<String>,
    /// Duplicates of an earlier reference.
    pub duplicates: usize,
    /// Past the resource limit (not fetched).
    pub over_limit: usize,
    /// The parser stopped early (memory bound or a page it cannot stream).
    pub parse_error: Option<String>,
}

struct Discard;

impl OutputSink for Discard {
    fn handle_chunk(&mut self, _: &[u8]) {}
}

/// Feed the body chunk by chunk, then `finish`.
pub struct PageParser {
    rewriter: Option<HtmlRewriter<'static, Discard>>,
    found: Rc<RefCell<Found>>,
    error: Option<String>,
}

fn push(found: &RefCell<Found>, kind: &'static str, raw: Option<String>) {
    let Some(raw) = raw else { return };
    let mut f = found.borrow_mut();
    if f.refs.len() >= MAX_REFS {
        f.cut = true;
        return;
    }
    f.refs.push(Ref { kind, raw });
}

/// Which kind of resource a `<link rel=…>` is, if a browser fetches it on load.
fn link_kind(rel: &str) -> Option<&'static str> {
    let tokens: Vec<String> = rel.split_ascii_whitespace().map(|t| t.to_ascii_lowercase()).collect();
    let has = |t: &str| tokens.iter().any(|x| x == t);
    if has("stylesheet") && !has("alternate") {
        Some("stylesheet")
    } else if has("icon") || has("apple-touch-icon") {
        // "shortcut icon" carries the icon token too.
        Some("icon")
    } else {
        None
    }
}

impl PageParser {
    pub fn new() -> PageParser {
        let found = Rc::new(RefCell::new(Found::default()));
        let (img, script, link, base) = (found.clone(), found.clone(), found.clone(), found.clone());
        let settings = Settings::new()
            .append_element_content_handler(element!("img[src]", move |el| {
                push(&img, "img", el.get_attribute("src"));
                Ok(())
            }))
            .append_element_content_handler(element!("script[src]", move |el| {
                push(&script, "script", el.get_attribute("src"));
                Ok(())
            }))
            .append_element_content_handler(element!("link[href][rel]", move |el| {
                if let Some(kind) = el.get_attribute("rel").as_deref().and_then(link_kind) {
                    push(&link, kind, el.get_attribute("href"));
                }
                Ok(())
            }))
            .append_element_content_handler(element!("base[href]", move |el| {
                // The first <base href> is the document's base URL.
                let mut f = base.borrow_mut();
                if f.base.is_none() {
                    f.base = el.get_attribute("href");
                }
                Ok(())
            }))
            .with_memory_settings(MemorySettings::new().with_max_allowed_memory_usage(PARSER_MEMORY))
            // Lenient: an ambiguous construct is parsed as browsers mostly do, not refused.
            .with_strict(false);
        PageParser { rewriter: Some(HtmlRewriter::new(settings, Discard)), found, error: None }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        let Some(rewriter) = self.rewriter.as_mut() else { return };
        if let Err(e) = rewriter.write(chunk) {
            self.error = Some(e.to_string());
            self.rewriter = None;
        }
    }

    /// The references found, resolved against `page`.
    pub fn finish(mut self, page: &Url, limit: usize) -> Links {
        if let Some(rewriter) = self.rewriter.take()
            && let Err(e) = rewriter.end()
        {
            self.error = Some(e.to_string());
        }
        let found = std::mem::take(&mut *self.found.borrow_mut());
        let mut links = resolve(found, page, limit);
        links.parse_error = self.error;
        links
    }
}

/// Resolution as a browser does it: against `<base href>` (itself resolved
/// against the page), fragments dropped, http(s) only, first mention wins.
fn resolve(found: Found, page: &Url, limit: usize) -> Links {
    let base = found.base.as_deref().and_then(|b| page.join(b.trim()).ok());
    let against = base.as_ref().unwrap_or(page);
    let mut links = Links { base: base.as_ref().map(|b| b.to_string()), ..Links::default() };
    for r in found.refs {
        let Ok(mut url) = against.join(r.raw.trim()) else {
            links.skipped.push(r.raw);
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            links.skipped.push(r.raw);
            continue;
        }
        url.set_fragment(None);
        let url = url.to_string();
        if links.resources.iter().any(|x| x.url == url) {
            links.duplicates += 1;
        } else if links.resources.len() >= limit {
            links.over_limit += 1;
        } else {
            links.resources.push(Resource { kind: r.kind, url, raw: r.raw });
        }
    }
    if found.cut {
        links.over_limit += 1;
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(page: &str, chunks: &[&str], limit: usize) -> Links {
        let mut p = PageParser::new();
        for c in chunks {
            p.feed(c.as_bytes());
        }
        p.finish(&Url::parse(page).unwrap(), limit)
    }

    #[test]
    fn finds_what_a_browser_fetches_across_chunk_boundaries() {
        let links = parse(
            "https://www.example.test/dir/page.html",
            &[
                "<html><head><link rel=\"Shortcut Icon\" href=\"/fav.ico\"><link rel=stylesheet hr",
                "ef=\"s.css\"><link rel=\"alternate stylesheet\" href=\"alt.css\"><link rel=preload href=x.js>",
                "<script src=\"//cdn.example.test/a.js\"></script><script>var s = '<img src=no.png>';</script>",
                "</head><body><img src=\"i.png#frag\"><img src=i.png><img src=\"data:image/png;base64,AA\">",
                "<img alt=none><!-- <img src=comment.png> --></body></html>",
            ],
            100,
        );
        let got: Vec<(&str, &str)> = links.resources.iter().map(|r| (r.kind, r.url.as_str())).collect();
        assert_eq!(
            got,
            [
                ("icon", "https://www.example.test/fav.ico"),
                ("stylesheet", "https://www.example.test/dir/s.css"),
                ("script", "https://cdn.example.test/a.js"),
                ("img", "https://www.example.test/dir/i.png"),
            ]
        );
        assert_eq!(links.duplicates, 1);
        assert_eq!(links.skipped, ["data:image/png;base64,AA"]);
        assert!(links.parse_error.is_none());
    }

    #[test]
    fn base_href_applies_and_the_limit_cuts() {
        let links = parse(
            "http://a.test/x/",
            &["<base href=\"http://b.test/assets/\"><img src=1.png><img src=2.png><img src=3.png>"],
            2,
        );
        assert_eq!(links.base.as_deref(), Some("http://b.test/assets/"));
        let urls: Vec<&str> = links.resources.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(urls, ["http://b.test/assets/1.png", "http://b.test/assets/2.png"]);
        assert_eq!(links.over_limit, 1);
    }

    #[test]
    fn garbage_is_no_panic_and_a_huge_tag_hits_the_memory_bound() {
        let links = parse("http://a.test/", &["<<<img src=>>\u{0}<script src", "=\"\u{1}\">"], 10);
        assert!(links.resources.len() <= 1);
        let mut p = PageParser::new();
        p.feed(b"<img src=\"");
        for _ in 0..(3 << 10) {
            p.feed(&[b'a'; 1024]);
        }
        let links = p.finish(&Url::parse("http://a.test/").unwrap(), 10);
        assert!(links.parse_error.is_some(), "{links:?}");
    }
}
