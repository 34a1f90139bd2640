// A small line chart behind one component: uPlot (canvas) draws it, nothing else of the UI knows uPlot.
// `data` is uPlot's aligned form: the x values first, then one y array per series (null = a gap). The
// element says how many points it holds (data-points), for tests that cannot read a canvas. uPlot is loaded
// when a chart first shows (chart-lib.ts).
import { useEffect, useRef } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { loadUPlot } from './chart-lib.ts';

export interface ChartSeries {
  label: string;
  stroke: string;
}

export interface ChartProps {
  testId: string;
  title: string;
  xLabel: string;
  series: ChartSeries[];
  data: [number[], ...(number | null)[][]];
  height?: number;
}

const AXIS = { stroke: '#aaa', grid: { stroke: '#2a2a2a' }, ticks: { stroke: '#333' } };

export function Chart({ testId, title, xLabel, series, data, height = 180 }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => `${s.label}:${s.stroke}`).join('|');

  const latest = useRef(data);
  latest.current = data;

  // One uPlot per series set; new data goes in with setData.
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    let gone = false;
    let u: uPlot | null = null;
    const width = () => Math.max(240, el.clientWidth || 360);
    const resize = () => u?.setSize({ width: width(), height });
    void loadUPlot().then((UPlot) => {
      if (gone) return;
      u = new UPlot({
        width: width(), height,
        series: [{ label: xLabel }, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 1.5, spanGaps: true }))],
        axes: [{ ...AXIS, label: xLabel }, { ...AXIS }],
        scales: { x: { time: false } },
        legend: { show: true },
      }, latest.current as uPlot.AlignedData, el);
      plot.current = u;
      window.addEventListener('resize', resize);
    });
    return () => {
      gone = true;
      window.removeEventListener('resize', resize);
      u?.destroy();
      plot.current = null;
    };
    // Data is applied by the effect below; the chart is rebuilt only when its series change.
  }, [labels, xLabel, height]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return (
    <figure className="chart" data-testid={testId} data-points={data[0].length}>
      <figcaption>{title}</figcaption>
      <div ref={host} className="chart-canvas" />
      {data[0].length === 0 && <p className="muted">No points yet.</p>}
    </figure>
  );
}
