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
