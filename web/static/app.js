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
  const button = form.querySelector("#download-zip");
  button.disabled = chosen === 0;
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

