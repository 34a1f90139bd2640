// The key help sheet (key ?), generated from the key map: every binding's keys and label, by group.
import { useApp } from '../state/context.tsx';
import { KEY_BINDINGS, KEY_GROUPS, keyName } from '../state/keymap.ts';

export function HelpSheet() {
  const close = useApp((s) => s.closeHelp);
  return (
    <div className="help-backdrop" onClick={close}>
      <section className="help-sheet" data-testid="help-sheet" role="dialog" aria-label="Keys" onClick={(e) => e.stopPropagation()}>
        <header className="help-head">
          <h2>Keys</h2>
          <button type="button" onClick={close} title="Close (Escape or ?)">Close</button>
        </header>
        <div className="help-groups">
          {KEY_GROUPS.map((group) => (
            <table key={group} className="help-group">
              <caption>{group}</caption>
              <tbody>
                {KEY_BINDINGS.filter((b) => b.group === group).map((b) => (
                  <tr key={b.keys.join(' ')} data-testid="help-binding" data-keys={b.keys.map(keyName).join(' ')}>
                    <th>{b.keys.map((k) => <kbd key={k}>{keyName(k)}</kbd>)}</th>
                    <td>{b.label}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
          <table className="help-group">
            <caption>Mouse</caption>
            <tbody>
              <tr><th>wheel</th><td>Next / previous slice</td></tr>
              <tr><th>left drag</th><td>Pan (with the distance tool: measure)</td></tr>
              <tr><th>right drag</th><td>Window: horizontal width, vertical level</td></tr>
              <tr><th>hover</th><td>HU under the pointer (bottom left)</td></tr>
              <tr><th>click</th><td>Gives the keyboard back to the image</td></tr>
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
