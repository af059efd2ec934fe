import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import './styles/index.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
// The lab decides where a reload lands (an interrupted run's Resume offer, at the top), not the
// browser's memory of the old scroll position.
history.scrollRestoration = 'manual';
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
