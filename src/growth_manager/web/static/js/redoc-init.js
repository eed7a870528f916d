/* Starts ReDoc on /redoc from the vendored standalone bundle (an ES module since ReDoc 3). */
import { init } from "../vendor/redoc/redoc.standalone.js";

// ReDoc 3 signs its sidebar with a Redocly logo fetched from cdn.redoc.ly, whatever the
// options. This page talks to no other host (the CSP would refuse the image anyway, with a
// violation report): image sources from another origin are never set.
const offSite = (value) =>
  new URL(String(value), window.location.href).origin !== window.location.origin;
const setAttribute = Element.prototype.setAttribute;
Element.prototype.setAttribute = function (name, value) {
  if (this instanceof HTMLImageElement && String(name).toLowerCase() === "src" && offSite(value)) {
    return;
  }
  setAttribute.call(this, name, value);
};
const source = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
Object.defineProperty(HTMLImageElement.prototype, "src", {
  ...source,
  set(value) {
    if (!offSite(value)) source.set.call(this, value);
  },
});

const root = document.getElementById("redoc");
// No telemetry: the documentation of a self-hosted product talks to nobody else.
init(root.getAttribute("data-openapi-url"), { disableTelemetry: true }, root);
