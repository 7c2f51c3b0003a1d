// Copy buttons: <button data-copy="ID"> copies the text of element ID.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const text = document.getElementById(button.dataset.copy).textContent.trim();
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const range = document.createRange();
    range.selectNodeContents(document.getElementById(button.dataset.copy));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    document.execCommand("copy");
  }
  const note = button.parentElement.querySelector(".copied");
  if (note) { note.hidden = false; setTimeout(() => { note.hidden = true; }, 2000); }
});

// Documents list: "select all" and the ZIP button, which is enabled only with a selection.
function updateSelection(form) {
  const boxes = form.querySelectorAll("input[name=id]");
  const chosen = [...boxes].filter((box) => box.checked).length;
  form.querySelectorAll(".needs-selection").forEach((button) => { button.disabled = chosen === 0; });
  const count = form.querySelector("#selected-count");
  count.textContent = chosen ? count.dataset.template.replace("{n}", chosen) : "";
  const all = form.querySelector("#select-all");
  all.checked = chosen > 0 && chosen === boxes.length;
  all.indeterminate = chosen > 0 && chosen < boxes.length;
}

document.addEventListener("change", (event) => {
  const form = event.target.closest("form#selection");
  if (!form) return;
  if (event.target.id === "select-all") {
    form.querySelectorAll("input[name=id]").forEach((box) => { box.checked = event.target.checked; });
  }
  updateSelection(form);
});


// Detail page: the Edit button shows the edit form.
document.addEventListener("click", (event) => {
  const button = event.target.closest("#edit-button");
  if (!button) return;
  const form = document.getElementById("edit-form");
  form.hidden = !form.hidden;
  button.setAttribute("aria-expanded", String(!form.hidden));
  if (!form.hidden) form.querySelector("input:not([type=hidden])").focus();
});

// Upload: each file goes on its own request (the same path as the API), with its progress
// bar and its own error; the list reloads once all are done.
function uploadFiles(section, files) {
  const list = section.querySelector("#upload-list");
  const sends = [...files].map((file) => new Promise((resolve) => {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    item.append(name, bar);
    list.append(item);
    const body = new FormData();
    body.append("file", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", "/documents/upload");
    request.setRequestHeader("X-CSRF-Token", section.dataset.csrf);
    request.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; };
    request.onload = () => {
      const result = document.createElement("span");
      if (request.status >= 200 && request.status < 300) {
        bar.value = 100;
        result.className = "ok";
        result.textContent = section.dataset.done;
      } else {
        let message = request.statusText;
        try { message = JSON.parse(request.responseText).error.message; } catch { /* not JSON */ }
        result.className = "failed";
        result.textContent = `${section.dataset.failed} ${message}`;
      }
      item.append(result);
      resolve(request.status < 300);
    };
    request.onerror = () => {
      const result = document.createElement("span");
      result.className = "failed";
      result.textContent = section.dataset.failed;
      item.append(result);
      resolve(false);
    };
    request.send(body);
  }));
  Promise.all(sends).then((results) => {
    if (results.every(Boolean)) setTimeout(() => window.location.reload(), 2500);
  });
}

document.addEventListener("change", (event) => {
  if (event.target.id !== "upload-input") return;
  uploadFiles(event.target.closest("#upload"), event.target.files);
  event.target.value = "";
});

for (const type of ["dragover", "dragleave", "drop"]) {
  document.addEventListener(type, (event) => {
    const zone = event.target.closest && event.target.closest(".dropzone");
    if (!zone) return;
    event.preventDefault();
    zone.classList.toggle("over", type === "dragover");
    if (type === "drop") uploadFiles(zone.closest("#upload"), event.dataTransfer.files);
  });
}
