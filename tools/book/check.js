// check.js: the book's self-check, used only by tests/book.sh (the page is opened as
// PAGE.html?check in headless Chromium). It does nothing for a reader. Once the page has
// loaded it writes what it found into <pre id="book-check"> as JSON, which the test reads
// from the dumped DOM:
//   broken_images: images that did not load (natural width 0)
//   raw_math:      text that still shows TeX ("$$", "\frac", ...) instead of typeset maths
//   errors:        script errors and resources that failed to load
(function () {
  if (!/[?&]check\b/.test(window.location.search)) return;
  var errors = [];
  window.addEventListener("error", function (e) {
    var t = e.target;
    errors.push(t && t !== window ? "failed to load " + (t.src || t.href || t.tagName)
                                  : String(e.message));
  }, true);
  window.addEventListener("load", function () {
    var broken = [];
    Array.prototype.forEach.call(document.images, function (img) {
      if (!img.complete || img.naturalWidth === 0) broken.push(img.getAttribute("src"));
    });
    // Text outside code and maths that still looks like TeX source.
    var raw = [];
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (var n = walker.nextNode(); n; n = walker.nextNode()) {
      var p = n.parentElement;
      if (p.closest("code, pre, math, #book-check")) continue;
      var m = n.nodeValue.match(/\$\$|\\frac|\\mathbf|\\sum|\\partial|\\sigma|\$[^$\s][^$]*\$/);
      if (m) raw.push(n.nodeValue.trim().slice(0, 80));
    }
    var out = document.createElement("pre");
    out.id = "book-check";
    out.textContent = JSON.stringify({
      images: document.images.length, broken_images: broken, raw_math: raw,
      maths: document.getElementsByTagName("math").length, errors: errors
    });
    document.body.appendChild(out);
  });
})();
