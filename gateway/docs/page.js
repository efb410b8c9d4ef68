// Renders the OpenAPI document with Swagger UI. Kept out of page.html so the
// page's Content-Security-Policy can forbid inline scripts.
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    // BaseLayout, not the standalone one: no top bar, whose logo and URL box
    // add nothing to a page about one API.
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    // "Try it out" open on every operation: the console is the point.
    tryItOutEnabled: true,
    displayRequestDuration: true,
    // The default posts the document to validator.swagger.io for a badge;
    // nothing leaves this host.
    validatorUrl: null,
  });
})();
