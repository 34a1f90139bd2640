// uPlot, loaded when a chart first shows: it reads the screen (matchMedia) at import time, and the viewer
// never needs it. Its own module so component tests can stand in for it (jsdom has no canvas).
import type uPlot from 'uplot';

export type UPlotClass = typeof uPlot;

export async function loadUPlot(): Promise<UPlotClass> {
  return (await import('uplot')).default;
}
