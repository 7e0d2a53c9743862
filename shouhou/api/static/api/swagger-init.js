/* Start Swagger UI with the settings the page carries as JSON; browser sessions send the CSRF token. */
(function () {
  var settings = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrf = document.body.getAttribute("data-csrf-token");
  settings.dom_id = "#swagger-ui";
  settings.presets = [window.SwaggerUIBundle.presets.apis];
  settings.requestInterceptor = function (request) {
    if (csrf) { request.headers["X-CSRFToken"] = csrf; }
    return request;
  };
  window.ui = window.SwaggerUIBundle(settings);
})();
