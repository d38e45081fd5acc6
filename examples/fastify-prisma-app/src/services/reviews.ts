import mongoose, { Schema, type Model } from 'mongoose';
import { env } from '../config';

/** Product reviews live in the storefront's MongoDB; OrderDesk reads them for the product pages. */
export interface Review {
  productId: number;
  author: string;
  rating: number;
  body: string;
  createdAt: Date;
}

const reviewSchema = new Schema<Review>({
  productId: { type: Number, required: true },
  author: { type: String, required: true },
  rating: { type: Number, min: 1, max: 5 },
  body: String,
  createdAt: { type: Date, default: Date.now },
});
reviewSchema.index({ productId: 1, createdAt: -1 });

/** One connection pool for the process, opened when the module loads. */
const storefront = mongoose.createConnection(env.REVIEWS_MONGO_URL);
const Reviews: Model<Review> = storefront.model<Review>('Review', reviewSchema);

/** Every review of a product, newest first (the "all reviews" tab). */
export function allReviewsOf(productId: number) {
  return Reviews.find({ productId }).sort({ createdAt: -1 }).lean();
}

/** The product page: the newest reviews, one page at a time. */
export function reviewPage(productId: number, limit: number, before?: Date) {
  const filter = before ? { productId, createdAt: { $lt: before } } : { productId };
  return Reviews.find(filter).sort({ createdAt: -1 }).limit(limit).lean();
}
