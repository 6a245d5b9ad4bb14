// The sample as a nested tree. Its leaves and their paths come from the engine (`leaves`), so a
// clicked value's path is exactly the one the edge will follow.

const INDENT_PX = 16;

function label(step) {
  return typeof step === 'number' ? `[${step}]` : step;
}

function sameStep(a, b) {
  return a === b;
}

/** Renders `leaves` ([{path, trail, value}]) into `container`; a click calls `onPick(path, leaf)`. */
export function renderTree(container, leaves, onPick) {
  container.replaceChildren();
  let open = [];
  for (const leaf of leaves) {
    const parents = leaf.trail.slice(0, -1);
    let shared = 0;
    while (shared < open.length && shared < parents.length && sameStep(open[shared], parents[shared])) shared += 1;
    for (let depth = shared; depth < parents.length; depth += 1) {
      const node = document.createElement('div');
      node.className = 'node';
      node.style.paddingLeft = `${depth * INDENT_PX + 4}px`;
      node.textContent = `${label(parents[depth])} ▾`;
      container.append(node);
    }
    open = parents;

    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'leaf';
    button.style.paddingLeft = `${parents.length * INDENT_PX + 4}px`;
    button.dataset.path = leaf.path;
    button.title = `use ${leaf.path}`;
    const key = document.createElement('span');
    key.className = 'key';
    key.textContent = label(leaf.trail[leaf.trail.length - 1]);
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = JSON.stringify(leaf.value);
    button.append(key, value);
    button.addEventListener('click', () => onPick(leaf.path, leaf));
    container.append(button);
  }
  if (leaves.length === 0) {
    container.textContent = 'The sample has no values to map yet.';
  }
}
