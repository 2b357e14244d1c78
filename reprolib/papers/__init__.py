"""One module (or small package) per paper: everything that only that paper needs.

* :mod:`.trades`: Zhang et al. 2019, *Theoretically Principled Trade-off between Robustness and Accuracy*.
* :mod:`.closer_look`: Yang et al. 2020, *A Closer Look at Accuracy vs. Robustness*.
* :mod:`.spatial`: Kamath et al., *Invariance vs. Robustness* (spatial vs adversarial robustness).
* :mod:`.cake`: the review *Are we trying to have our cake and eat it too?*.

A paper module holds its synthetic distributions and closed forms, its sections (settings per profile, as
:class:`reprolib.sections.Section`), their computations and claims checks, its paper values (copied from
REPRO_SPEC), the tables and figures only it draws, and its rows of the scorecard (``CATALOGUE``). Paper modules
import the shared machinery (data, models, attacks, losses, train, metrics, results, ...); the shared machinery
never imports them: :mod:`reprolib.sections` finds them through :data:`PAPERS`.
"""
PAPERS = ("trades", "closer_look", "spatial", "cake")  # the book's order
