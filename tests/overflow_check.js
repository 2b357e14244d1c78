// Overflow check for a page of the built book (tests/test_book.py injects it into a copy of each page and reads
// the result from Chromium's --dump-dom).
//
// Which boxes of the article (elements and runs of text) stick out of the column unseen: past the article's right
// edge, or past the right edge of an ancestor that clips them (overflow-x hidden or clip), with no scrolling
// ancestor (overflow-x auto or scroll) in between that would let the reader scroll to them. A scrolling box is
// itself checked like any other box, so a scroller wider than the column is reported too.
//
// It runs once the page has loaded and MathJax has typeset, and appends to the body a pre element of id
// overflow-report holding JSON: {"column": the article's right edge (px), "bad": ["what: why", ...], "scrolls":
// ["table: widths", ...]} (tables the reader has to scroll sideways to read).
(function () {
  "use strict";
  var HIDDEN_ON_PURPOSE = "mjx-assistive-mml, .sr-only, .visually-hidden, .screen-reader-text";  // for screen readers
  var TOLERANCE = 1;  // px: sub-pixel rounding

  function describe(node) {
    var el = node.nodeType === 1 ? node : node.parentElement;
    var s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.classList.length) s += "." + Array.prototype.slice.call(el.classList, 0, 3).join(".");
    if (node.nodeType === 3) s += " text '" + node.textContent.trim().slice(0, 40) + "'";
    var sec = el.closest("section[id]");
    return s + (sec ? " (section #" + sec.id + ")" : "");
  }

  function innerRight(el) {  // right edge of the padding box, where overflow is clipped
    return el.getBoundingClientRect().left + el.clientLeft + el.clientWidth;
  }

  function check() {
    var art = document.querySelector(".bd-article") || document.querySelector("main");
    if (!art) return {bad: ["the page has no .bd-article or main element"]};
    var limit = art.getBoundingClientRect().right;
    var report = {column: Math.round(limit), bad: []};
    var reported = new Set(), range = document.createRange();
    var walker = document.createTreeWalker(art, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      var el = node.nodeType === 1 ? node : node.parentElement;
      if (el.closest(HIDDEN_ON_PURPOSE)) continue;
      var r;
      if (node.nodeType === 3) {
        if (!node.textContent.trim()) continue;
        range.selectNodeContents(node);
        r = range.getBoundingClientRect();
      } else {
        var cs = getComputedStyle(node);
        if (cs.display === "contents" || cs.visibility === "hidden") continue;
        r = node.getBoundingClientRect();
      }
      if (r.width === 0 || r.height === 0) continue;
      for (var a = node.nodeType === 1 ? node.parentElement : el; a; a = a.parentElement) {  // text: its element clips it too
        if (reported.has(a)) break;  // only the outermost offender is reported
        var ox = getComputedStyle(a).overflowX;
        if (ox === "auto" || ox === "scroll") break;  // the reader can scroll to it
        if ((ox === "hidden" || ox === "clip") && r.right > innerRight(a) + TOLERANCE) {
          reported.add(node);
          report.bad.push(describe(node) + ": cut off at x=" + Math.round(innerRight(a)) + " by " + describe(a) +
                          " (its right edge is at x=" + Math.round(r.right) + ")");
          break;
        }
        if (a === art) {
          if (r.right > limit + TOLERANCE) {
            reported.add(node);
            report.bad.push(describe(node) + ": right edge at x=" + Math.round(r.right) + ", past the column's " +
                            "right edge at x=" + Math.round(limit));
          }
          break;
        }
      }
    }
    // Tables that the reader must scroll sideways to read: a scrolling ancestor narrower than the table's content.
    report.scrolls = [];
    art.querySelectorAll("table").forEach(function (table) {
      for (var a = table; a && a !== art.parentElement; a = a.parentElement) {  // the table may scroll itself
        var ox = getComputedStyle(a).overflowX;
        if (ox === "auto" || ox === "scroll") {
          if (a.scrollWidth > a.clientWidth + TOLERANCE) {
            report.scrolls.push(describe(table) + ": " + Math.round(a.scrollWidth) + " px wide in a " +
                                Math.round(a.clientWidth) + " px box (" + describe(a) + ")");
          }
          break;
        }
      }
    });
    return report;
  }

  function run() {
    var report;
    try { report = check(); } catch (e) { report = {bad: ["the check failed: " + e]}; }
    var out = document.createElement("pre");
    out.id = "overflow-report";
    out.textContent = JSON.stringify(report);
    document.body.appendChild(out);
  }

  function start() {
    var typeset = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
    (typeset ? typeset.then(run, run) : Promise.resolve().then(run));
  }

  if (document.readyState === "complete") start(); else window.addEventListener("load", start);
})();
