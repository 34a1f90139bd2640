// A small line chart behind one component: uPlot (canvas) draws it, nothing else of the UI knows uPlot.
// `data` is uPlot's aligned form: the x values first, then one y array per series (null = a gap). The
// element says how many points it holds (data-points), for tests that cannot read a canvas. uPlot is loaded
// when a chart first shows (chart-lib.ts). With `legend="list"` (many series) the legend is a list under
// the chart (data-testid `<testId>-legend`, one item per series) instead of uPlot's table.
import { useEffect, useRef } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { loadUPlot } from './chart-lib.ts';

export interface ChartSeries {
  label: string;
  stroke: string;
  /** Canvas dash pattern; solid when absent. */
  dash?: number[];
}

export interface ChartProps {
  testId: string;
  title: string;
  xLabel: string;
  series: ChartSeries[];
  data: [number[], ...(number | null)[][]];
  height?: number;
  legend?: 'uplot' | 'list';
}

const AXIS = { stroke: '#aaa', grid: { stroke: '#2a2a2a' }, ticks: { stroke: '#333' } };

export function Chart({ testId, title, xLabel, series, data, height = 180, legend = 'uplot' }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => `${s.label}:${s.stroke}:${s.dash?.join(',') ?? ''}`).join('|');

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
        series: [{ label: xLabel }, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 1.5, spanGaps: true, ...(s.dash ? { dash: s.dash } : {}) }))],
        axes: [{ ...AXIS, label: xLabel }, { ...AXIS }],
        scales: { x: { time: false } },
        legend: { show: legend === 'uplot' },
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
  }, [labels, xLabel, height, legend]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return (
    <figure className="chart" data-testid={testId} data-points={data[0].length} data-series={series.length}>
      <figcaption>{title}</figcaption>
      <div ref={host} className="chart-canvas" />
      {data[0].length === 0 && <p className="muted">No points yet.</p>}
      {legend === 'list' && series.length > 0 && (
        <ul className="chart-legend" data-testid={`${testId}-legend`}>
          {series.map((s) => (
            <li key={s.label} data-testid={`${testId}-series`}>
              <svg width="18" height="8" aria-hidden="true"><line x1="0" y1="4" x2="18" y2="4" stroke={s.stroke} strokeWidth="2" strokeDasharray={s.dash?.join(' ')} /></svg>
              {s.label}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}
