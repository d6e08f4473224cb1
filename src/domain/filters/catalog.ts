/**
 * The platform catalog seeded on first start: every filter the spec lists, each with a
 * real parameter schema. Slugs are stable so seeding is idempotent.
 */
import type { Category, ParamSpec } from './params';

export interface CatalogFilter {
  slug: string;
  name: string;
  category: Category;
  description: string;
  price: number;
  featured?: boolean;
  params: ParamSpec[];
}

const pct = (name: string, def: number): ParamSpec => ({
  name,
  type: 'number',
  min: 0,
  max: 100,
  default: def,
  step: 1,
});
const color = (name: string, def: string): ParamSpec => ({ name, type: 'color', default: def });
const choice = (name: string, choices: string[], def = choices[0]!): ParamSpec => ({
  name,
  type: 'enum',
  choices,
  default: def,
});
const flag = (name: string, def: boolean): ParamSpec => ({ name, type: 'boolean', default: def });
const text = (name: string, maxLength: number, def: string): ParamSpec => ({
  name,
  type: 'string',
  maxLength,
  default: def,
});
const num = (name: string, min: number, max: number, def: number, step?: number): ParamSpec => ({
  name,
  type: 'number',
  min,
  max,
  default: def,
  ...(step ? { step } : {}),
});

export const CATALOG: CatalogFilter[] = [
  // Beauty
  {
    slug: 'beauty-basic',
    name: 'Natural Beauty',
    category: 'beauty',
    description: 'Skin smoothing, face slimming, eye enlargement and a touch of brightness',
    price: 0,
    featured: true,
    // The seed's apply example ({ beauty: { skinSmoothing, faceSlimming, eyeEnlargement } }) targets this free filter.
    params: [pct('skinSmoothing', 40), pct('faceSlimming', 0), pct('eyeEnlargement', 0), pct('brightness', 20)],
  },
  {
    slug: 'beauty-pro',
    name: 'Beauty Pro',
    category: 'beauty',
    description:
      'Full beauty suite: skin smoothing, face slimming, eye enlargement, nose slimming, brightness, whitening',
    price: 50,
    featured: true,
    params: [
      pct('skinSmoothing', 60),
      pct('faceSlimming', 20),
      pct('eyeEnlargement', 15),
      pct('noseSlimming', 10),
      pct('brightness', 25),
      pct('skinWhitening', 10),
    ],
  },
  {
    slug: 'skin-smoothing',
    name: 'Skin Smoothing',
    category: 'beauty',
    description: 'Smooths skin texture while keeping detail',
    price: 0,
    params: [pct('skinSmoothing', 50)],
  },
  {
    slug: 'face-slimming',
    name: 'Face Slimming',
    category: 'beauty',
    description: 'Slims the jaw and cheeks',
    price: 10,
    params: [pct('faceSlimming', 30)],
  },
  {
    slug: 'eye-enlargement',
    name: 'Big Eyes',
    category: 'beauty',
    description: 'Enlarges the eyes',
    price: 10,
    params: [pct('eyeEnlargement', 25)],
  },
  {
    slug: 'nose-slimming',
    name: 'Nose Slimming',
    category: 'beauty',
    description: 'Narrows the nose',
    price: 10,
    params: [pct('noseSlimming', 20)],
  },
  {
    slug: 'skin-whitening',
    name: 'Brighten & Whiten',
    category: 'beauty',
    description: 'Brightness enhancement and skin whitening',
    price: 20,
    params: [pct('brightness', 30), pct('skinWhitening', 25)],
  },
  // Makeup
  {
    slug: 'lipstick',
    name: 'Lipstick',
    category: 'makeup',
    description: 'Lipstick with colour selection',
    price: 0,
    params: [
      color('lipstick.color', '#c2185b'),
      pct('lipstick.intensity', 60),
      choice('lipstick.finish', ['matte', 'gloss', 'satin'], 'satin'),
    ],
  },
  {
    slug: 'eyeshadow',
    name: 'Eyeshadow',
    category: 'makeup',
    description: 'Eyeshadow with intensity',
    price: 20,
    params: [color('eyeshadow.color', '#6a1b9a'), pct('eyeshadow.intensity', 50)],
  },
  {
    slug: 'blush',
    name: 'Blush',
    category: 'makeup',
    description: 'Cheek blush',
    price: 10,
    params: [color('blush.color', '#f48fb1'), pct('blush.intensity', 40)],
  },
  {
    slug: 'eyeliner',
    name: 'Eyeliner',
    category: 'makeup',
    description: 'Winged or classic eyeliner',
    price: 10,
    params: [color('eyeliner.color', '#000000'), choice('eyeliner.style', ['classic', 'winged', 'smoky'])],
  },
  {
    slug: 'foundation',
    name: 'Foundation',
    category: 'makeup',
    description: 'Even skin tone foundation',
    price: 20,
    params: [color('foundation.shade', '#e0ac69'), pct('foundation.coverage', 50)],
  },
  {
    slug: 'contour',
    name: 'Contour',
    category: 'makeup',
    description: 'Cheekbone and jaw contouring',
    price: 30,
    params: [pct('contour.intensity', 40)],
  },
  {
    slug: 'full-glam',
    name: 'Full Glam',
    category: 'makeup',
    description: 'Lipstick, eyeshadow, blush, eyeliner, foundation and contour together',
    price: 120,
    featured: true,
    params: [
      color('lipstick.color', '#b71c1c'),
      color('eyeshadow.color', '#4a148c'),
      pct('blush.intensity', 45),
      choice('eyeliner.style', ['classic', 'winged', 'smoky'], 'winged'),
      pct('foundation.coverage', 60),
      pct('contour.intensity', 50),
    ],
  },
  // AR
  {
    slug: 'face-tracking',
    name: 'Face Tracking Landmarks',
    category: 'ar',
    description: 'Face tracking with landmark overlay',
    price: 0,
    params: [flag('showLandmarks', false), num('smoothingFrames', 1, 10, 3)],
  },
  {
    slug: 'mask-3d',
    name: '3D Masks',
    category: 'ar',
    description: '3D masks and overlays that follow the face',
    price: 100,
    params: [choice('mask', ['cat', 'fox', 'robot', 'skull', 'astronaut']), pct('opacity', 100)],
  },
  {
    slug: 'animated-ears',
    name: 'Animated Bunny Ears',
    category: 'ar',
    description: 'Animated effects that react to head movement',
    price: 60,
    params: [choice('style', ['bunny', 'cat', 'devil', 'angel']), num('animationSpeed', 0.5, 2, 1, 0.1)],
  },
  {
    slug: 'particles',
    name: 'Particle Sparkles',
    category: 'ar',
    description: 'Particle systems around the face',
    price: 80,
    params: [
      choice('particle', ['sparkle', 'hearts', 'snow', 'confetti']),
      num('density', 1, 100, 40),
      color('tint', '#ffd54f'),
    ],
  },
  // Face shape
  {
    slug: 'face-shape',
    name: 'Face Shape',
    category: 'face-shape',
    description: 'Face shape adjustments: chin, jaw, forehead, cheekbones',
    price: 40,
    params: [
      num('chin', -50, 50, 0),
      num('jaw', -50, 50, 0),
      num('forehead', -50, 50, 0),
      num('cheekbones', -50, 50, 0),
    ],
  },
  {
    slug: 'v-shape',
    name: 'V-Shape Face',
    category: 'face-shape',
    description: 'A V-shaped face preset',
    price: 30,
    params: [pct('strength', 40)],
  },
  // Colour
  ...(['vintage', 'warm', 'cool', 'black-and-white', 'sepia', 'vivid', 'film'] as const).map(
    (look, i): CatalogFilter => ({
      slug: `color-${look}`,
      name: `${look[0]!.toUpperCase()}${look.slice(1).replace(/-/g, ' ')} Colour`,
      category: 'color',
      description: `${look.replace(/-/g, ' ')} colour grading filter`,
      price: i < 3 ? 0 : 10,
      featured: look === 'vintage',
      params: [pct('intensity', 70), num('contrast', -50, 50, 0), num('saturation', -100, 100, 0)],
    }),
  ),
  // Background
  {
    slug: 'background-blur',
    name: 'Background Blur',
    category: 'background',
    description: 'Blurs everything behind you',
    price: 0,
    params: [pct('blurStrength', 60)],
  },
  {
    slug: 'background-replace',
    name: 'Background Replacement',
    category: 'background',
    description: 'Replaces the background with a scene',
    price: 50,
    params: [choice('scene', ['office', 'beach', 'space', 'library', 'city-night']), pct('edgeSoftness', 30)],
  },
  {
    slug: 'green-screen',
    name: 'Green Screen',
    category: 'background',
    description: 'Chroma key with a custom key colour',
    price: 30,
    params: [
      color('keyColor', '#00ff00'),
      pct('similarity', 40),
      pct('smoothness', 10),
      choice('scene', ['office', 'beach', 'space', 'library', 'city-night']),
    ],
  },
  // Stickers
  {
    slug: 'stickers',
    name: 'Stickers',
    category: 'sticker',
    description: 'Stickers and overlays placed on the stream',
    price: 0,
    params: [
      choice('sticker', ['heart', 'star', 'fire', 'crown', 'sunglasses']),
      num('x', 0, 1, 0.8, 0.01),
      num('y', 0, 1, 0.2, 0.01),
      num('scale', 0.1, 3, 1, 0.1),
    ],
  },
  {
    slug: 'animated-stickers',
    name: 'Animated Stickers',
    category: 'sticker',
    description: 'Animated stickers',
    price: 40,
    params: [choice('sticker', ['dancing-cat', 'fireworks', 'rainbow']), num('scale', 0.1, 3, 1, 0.1)],
  },
  // Text
  {
    slug: 'text-overlay',
    name: 'Text Overlay',
    category: 'text',
    description: 'Text overlays with font and colour',
    price: 0,
    params: [
      text('text', 80, 'Hello!'),
      choice('font', ['sans', 'serif', 'mono', 'handwriting']),
      color('color', '#ffffff'),
      num('size', 8, 96, 24),
      choice('position', ['top', 'center', 'bottom'], 'bottom'),
    ],
  },
  {
    slug: 'scrolling-banner',
    name: 'Scrolling Banner',
    category: 'text',
    description: 'A ticker that scrolls across the bottom',
    price: 20,
    params: [text('text', 200, 'Welcome to the stream'), num('speed', 1, 10, 4), color('background', '#000000')],
  },
  // Voice
  {
    slug: 'voice-changer',
    name: 'Voice Changer',
    category: 'voice',
    description: 'Voice changers: robot, chipmunk, deep, echo, alien',
    price: 30,
    params: [
      choice('voice', ['robot', 'chipmunk', 'deep', 'echo', 'alien']),
      num('pitch', -12, 12, 0),
      pct('mix', 100),
    ],
  },
  {
    slug: 'voice-reverb',
    name: 'Studio Reverb',
    category: 'voice',
    description: 'Room reverb for voice',
    price: 10,
    params: [choice('room', ['small', 'hall', 'cathedral']), pct('wet', 30)],
  },
];

/** Every parameter name a custom filter may use in a category, with its range and default. */
export function vocabulary(): Map<string, Map<string, ParamSpec>> {
  const out = new Map<string, Map<string, ParamSpec>>();
  for (const f of CATALOG) {
    if (!out.has(f.category)) out.set(f.category, new Map());
    for (const p of f.params) if (!out.get(f.category)!.has(p.name)) out.get(f.category)!.set(p.name, p);
  }
  return out;
}
