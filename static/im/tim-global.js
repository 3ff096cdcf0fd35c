// The entry of the classic-script SDK: `make sdk` bundles this file, tim.js and its
// modules with esbuild into static/im/dist/tim.global.js, for pages that load the SDK
// with a plain <script> rather than `import`. Same source, same TIM, as window.TIM.
import TIM from './tim.js';

globalThis.TIM = TIM;
