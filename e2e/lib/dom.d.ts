// The browser-side callbacks passed to page.evaluate are typed with the DOM lib.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
