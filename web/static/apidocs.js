// Renders the OpenAPI document into #api-docs: each operation with its parameters, body and
// answers. Text only through textContent, so nothing in the document can inject markup.
(async () => {
  const root = document.getElementById("api-docs");
  if (!root) return;
  const spec = await (await fetch(root.dataset.spec)).json();
  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  };
  const resolve = (schema) => {
    if (schema && schema.$ref) return spec.components.schemas[schema.$ref.split("/").pop()];
    return schema;
  };
  const shape = (schema, depth = 0) => {
    schema = resolve(schema) || {};
    if (depth > 3) return "…";
    if (schema.anyOf) return schema.anyOf.map((s) => shape(s, depth + 1)).join(" | ");
    if (schema.type === "array") return [shape(schema.items, depth + 1)];
    if (schema.properties) {
      const out = {};
      for (const [name, prop] of Object.entries(schema.properties)) out[name] = shape(prop, depth + 1);
      return out;
    }
    return schema.format ? `${schema.type} (${schema.format})` : schema.type || (schema.enum || []).join("|");
  };
  for (const [path, operations] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const box = el("section", undefined, "operation");
      const title = el("h2");
      title.append(el("span", method, "method"), el("code", path));
      box.append(title);
      if (op.summary) box.append(el("p", op.summary));
      if (op.description) box.append(el("p", op.description));
      for (const param of op.parameters || []) {
        box.append(el("p", `${param.in} ${param.name}${param.required ? " (required)" : ""}: ${(param.schema && param.schema.description) || param.description || ""}`));
      }
      const body = op.requestBody && op.requestBody.content;
      if (body) {
        for (const [type, content] of Object.entries(body)) {
          box.append(el("p", `body ${type}`), el("pre", JSON.stringify(shape(content.schema), null, 2)));
        }
      }
      for (const [status, answer] of Object.entries(op.responses || {})) {
        const json = answer.content && answer.content["application/json"];
        box.append(el("p", `${status}: ${answer.description || ""}`));
        if (json && json.schema) box.append(el("pre", JSON.stringify(shape(json.schema), null, 2)));
      }
      root.append(box);
    }
  }
})();
