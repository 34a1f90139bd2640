// Entry point of the renderer: the engine client (Electron IPC through the preload's window.ich in the desktop
// app, else HTTP + WebSocket with the token from the page URL), the store, and the cornerstone renderer, which
// only this file hands to the viewport.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { HttpEngineClient } from './engine/http-client.ts';
import { createIpcEngineClient, desktopApi } from './engine/ipc-client.ts';
import { createAppStore } from './state/store.ts';
import { StoreProvider } from './state/context.tsx';
import { StackRendererContext } from './viewer/stack-renderer.ts';
import { createCornerstoneStack } from './viewer/cornerstone/cornerstone-stack.ts';
import { App } from './app/App.tsx';
import './styles.css';

const ich = desktopApi();
const client = ich ? createIpcEngineClient(ich) : HttpEngineClient.fromLocation();
const store = createAppStore(client);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreProvider store={store}>
      <StackRendererContext.Provider value={createCornerstoneStack}>
        <App client={client} />
      </StackRendererContext.Provider>
    </StoreProvider>
  </StrictMode>,
);
