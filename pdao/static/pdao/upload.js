// Transfer progress for large files; the page still works without JavaScript.
document.getElementById("upload-form").addEventListener("submit", function (event) {
  if (!window.XMLHttpRequest || !window.FormData) { return; }
  event.preventDefault();
  var form = event.target, bar = document.getElementById("upload-progress"), xhr = new XMLHttpRequest();
  document.getElementById("upload-progress-label").hidden = false;
  form.querySelector("button[type=submit]").disabled = true;
  xhr.upload.addEventListener("progress", function (e) { if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); } });
  xhr.addEventListener("load", function () {
    if (xhr.responseURL && xhr.responseURL !== window.location.href) { window.location.assign(xhr.responseURL); return; }
    document.open(); document.write(xhr.responseText); document.close();
  });
  xhr.open("POST", form.action || window.location.href);
  xhr.send(new FormData(form));
});
