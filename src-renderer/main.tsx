// Entry point for the browser build: the HTTP engine client (token from the page URL), the store, and the
// cornerstone renderer, which only this file hands to the viewport.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { HttpEngineClient } from './engine/http-client.ts';
import { createAppStore } from './store/store.ts';
import { StoreProvider } from './store/context.tsx';
import { StackRendererContext } from './viewer/stack-renderer.ts';
import { createCornerstoneStack } from './viewer/cornerstone/cornerstone-stack.ts';
import { App } from './app/App.tsx';
import './styles.css';

const client = HttpEngineClient.fromLocation();
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
