// Renders UI under a fresh store with the fake engine and fake image renderer.
import type { ReactNode } from 'react';
import { render } from '@testing-library/react';
import { createAppStore } from '../state/store.ts';
import { StoreProvider } from '../state/context.tsx';
import { StackRendererContext } from '../viewer/stack-renderer.ts';
import { fakeClient, fakeRenderer } from './fixtures.ts';

export function renderWithStore(ui: (client: ReturnType<typeof fakeClient>) => ReactNode) {
  const client = fakeClient();
  const store = createAppStore(client);
  const renderer = fakeRenderer();
  const result = render(
    <StoreProvider store={store}>
      <StackRendererContext.Provider value={renderer.create}>{ui(client)}</StackRendererContext.Provider>
    </StoreProvider>,
  );
  return { ...result, client, store, renderer };
}
